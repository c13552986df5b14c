package dev.nstun.policies.config;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.composer.Composer;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.parser.Parser;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Turns policy text into a node tree, safely: nodes are only composed, never constructed into
 * objects (so no tag can instantiate a class), and the text is bounded in size, nesting and
 * aliases, and may not contain itself ({@link YamlGuard}). Every failure becomes a
 * {@link Problem} with line and column.
 */
final class YamlSource {
    /** Largest policy file, in characters; a rule set of 100 000 domains fits well within it. */
    static final int MAX_CODE_POINTS = 8 * 1024 * 1024;

    private YamlSource() {
    }

    /** Returns the document's root node; empty after reporting a problem, or for an empty document. */
    static Optional<Node> compose(String text, Problems problems) {
        return compose(text, problems, MAX_CODE_POINTS);
    }

    /** Returns the root node of a document of at most {@code maxCodePoints} characters (a rule set may be larger than a policy). */
    static Optional<Node> compose(String text, Problems problems, int maxCodePoints) {
        LoadSettings settings = LoadSettings.builder()
                .setLabel(problems.file())
                .setAllowRecursiveKeys(false)
                .setMaxAliasesForCollections(YamlGuard.MAX_COLLECTION_ALIASES)
                .setCodePointLimit(maxCodePoints)
                .setUseMarks(true)
                .setParseComments(false)
                .setSchema(new CoreSchema())
                .build();
        try {
            // The composer recurses once per level and expands nothing, but it flattens merge keys
            // (<<) by following aliases, and readers walk aliased collections again at each alias:
            // check nesting, recursion and expansion on the flat event stream first, where each
            // problem still has its place in the file and nothing has been followed yet.
            List<Event> events = new ArrayList<>();
            YamlGuard guard = new YamlGuard();
            for (Event event : new Parse(settings).parseString(text)) {
                events.add(event);
                Optional<String> problem = guard.add(event);
                if (problem.isPresent()) {
                    problems.add(problems.at(event.getStartMark()), problem.get());
                    return Optional.empty();
                }
            }
            return new Composer(settings, new Replay(events)).getSingleNode();
        } catch (MarkedYamlEngineException e) {
            problems.add(problems.at(e.getProblemMark().or(e::getContextMark)), syntaxMessage(e));
            return Optional.empty();
        } catch (YamlEngineException e) {
            problems.add(Location.nowhere(problems.file()), "cannot read YAML: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static String syntaxMessage(MarkedYamlEngineException e) {
        String problem = e.getProblem() == null ? "" : e.getProblem();
        String context = e.getContext();
        StringBuilder out = new StringBuilder("YAML syntax error: ").append(problem.strip());
        if (context != null && !context.isBlank() && e.getContextMark().isPresent() && e.getProblemMark().isPresent()) {
            var mark = e.getContextMark().get();
            out.append(" (").append(context.strip()).append(" at line ").append(mark.getLine() + 1)
                    .append(", column ").append(mark.getColumn() + 1).append(')');
        }
        return out.toString();
    }

    /** Hands the composer the events the checks already read, so the text is scanned once. */
    private static final class Replay implements Parser {
        private final List<Event> events;
        private int next;

        Replay(List<Event> events) {
            this.events = events;
        }

        @Override
        public boolean checkEvent(Event.ID id) {
            return hasNext() && events.get(next).getEventId() == id;
        }

        @Override
        public Event peekEvent() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more YAML events");
            }
            return events.get(next);
        }

        @Override
        public Event next() {
            Event event = peekEvent();
            next++;
            return event;
        }

        @Override
        public boolean hasNext() {
            return next < events.size();
        }
    }
}
