package dev.nstun.policies.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * The quick reading of a clash payload list against the YAML parser: where it takes a file, it
 * reads the very values, at the very places, the parser does; anything it is not sure of goes to
 * the parser.
 */
class RuleSetFileTest {
    /** The payload items as the YAML parser reads them: text and place, or empty when the file is not a plain payload list. */
    private static List<RuleSetFile.PlainItem> byParser(String text) {
        Problems problems = new Problems("set.yaml");
        Node root = YamlSource.compose(text, problems).orElseThrow();
        assertTrue(problems.isEmpty(), problems.sorted().toString());
        Node payload = ((MappingNode) root).getValue().get(0).getValueNode();
        List<RuleSetFile.PlainItem> items = new ArrayList<>();
        if (payload instanceof SequenceNode list) {
            for (Node item : list.getValue()) {
                ScalarNode scalar = (ScalarNode) item;
                items.add(new RuleSetFile.PlainItem(scalar.getValue(), problems.at(scalar)));
            }
        }
        return items;
    }

    @Test
    void readsWhatTheParserReadsWhereItTakesTheFile() {
        List<String> taken = List.of(
                "payload:\n  - DOMAIN-SUFFIX,example.com\n  - IP-CIDR6,2001:db8::/32,no-resolve\n",
                "# comment\npayload: # after the key\n- '+.example.com'\n-   \"*.example.org\"\n\n  # indented comment\n- 1.2.3.0/24  # tail\n",
                "payload:\r\n  - a.example\r\n  - 'null'\r\n",
                "payload:\n",
                "payload:\n    - 123\n    - x-1.b_c\n    - true\n");
        for (String text : taken) {
            Optional<List<RuleSetFile.PlainItem>> quick = RuleSetFile.plainPayload(text, "set.yaml");
            assertTrue(quick.isPresent(), "taken: " + text);
            assertEquals(byParser(text), quick.get(), text);
        }
    }

    @Test
    void leavesToTheParserWhatItIsNotSureOf() {
        List<String> left = List.of(
                "payload:\n  - *.example.com\n",           // an alias, unquoted
                "payload:\n  - a.example:\n",              // a map
                "payload:\n  - null\n",                    // null
                "payload:\n  - ~\n",
                "payload:\n  - 'it''s'\n",                 // an escape
                "payload:\n  - \"a\\x41\"\n",
                "payload:\n  - a\n - b\n",                 // indentation changes
                "payload: [a, b]\n",                       // flow style
                "payload:\n  - &x a\n",                    // an anchor
                "payload:\n  - a\nother: 1\n",             // another key
                "payload:\n\t- a\n",                       // a tab
                "---\npayload:\n  - a\n",                  // a document marker
                "payload:\n  - -a\n",
                "payload:\n  - 'a #b'\n",
                "payload:\n  - \n",
                "\uFEFFpayload:\n  - a\n");
        for (String text : left) {
            assertEquals(Optional.empty(), RuleSetFile.plainPayload(text, "set.yaml"), "left to the parser: " + text);
        }
    }
}
