package dev.nstun.policies.config;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.NodeEvent;
import org.snakeyaml.engine.v2.exceptions.Mark;

/**
 * Reads a document's events, in order, before anything is composed, and refuses what would make
 * composing or reading it unbounded: lists and maps nested too deep; an alias inside the very node
 * its anchor names (a cycle: snakeyaml-engine's merge-key flattening follows {@code a: &a {<<: *a}}
 * forever, and readers would walk any cycle forever); too many aliases to lists or maps; aliases
 * that together repeat too many nodes ("billion laughs").
 *
 * <p>An alias can only name an anchor met earlier in the text, so a node whose events have ended
 * holds no reference to anything later: every cycle goes through an alias whose anchored node is
 * still open. Refusing exactly those aliases refuses every cycle, direct or through several
 * anchors, and nothing else. The same order gives each anchored node its expanded size (nodes
 * counted with every alias inside replaced by what it names) when its end event comes, before
 * any alias can use it.
 */
final class YamlGuard {
    /** Deepest nesting of lists and maps; the schema itself needs 4. */
    static final int MAX_DEPTH = 16;
    /** Most aliases to lists and maps. */
    static final int MAX_COLLECTION_ALIASES = 100;
    /**
     * Most nodes that aliases may repeat in all: nine aliases to a list of 100 000 domains fit.
     * Reading what aliases repeat costs about 1 µs a node here, so no document costs more than
     * about a second this way; a billion-laughs document stops after five levels, at its events.
     */
    static final long MAX_REPEATED_NODES = 1_000_000;

    /** What an anchor names, as messages call it. */
    private enum Kind {
        MAP, LIST, VALUE;

        String noun() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A node an anchor names: open until its end event, then of a known expanded size. */
    private static final class Anchored {
        final Kind kind;
        final Optional<Mark> at;
        boolean open;
        long size;

        Anchored(Kind kind, Optional<Mark> at, boolean open, long size) {
            this.kind = kind;
            this.at = at;
            this.open = open;
            this.size = size;
        }
    }

    /** A list or map whose end event has not come yet. */
    private static final class Open {
        final Anchored anchored;
        long size = 1;

        Open(Anchored anchored) {
            this.anchored = anchored;
        }
    }

    private final Map<String, Anchored> anchors = new HashMap<>();
    private final Deque<Open> open = new ArrayDeque<>();
    private int collectionAliases;
    private long repeated;

    /** Takes the next event; returns what is wrong with the document at it, if anything. */
    Optional<String> add(Event event) {
        switch (event.getEventId()) {
            case MappingStart, SequenceStart -> {
                if (open.size() >= MAX_DEPTH) {
                    return Optional.of("lists and maps are nested more than " + MAX_DEPTH + " deep (a policy needs 4)");
                }
                Kind kind = event.getEventId() == Event.ID.MappingStart ? Kind.MAP : Kind.LIST;
                Anchored anchored = anchor(event, new Anchored(kind, event.getStartMark(), true, 0));
                open.push(new Open(anchored));
            }
            case MappingEnd, SequenceEnd -> {
                Open done = open.pop();
                if (done.anchored != null) {
                    done.anchored.open = false;
                    done.anchored.size = done.size;
                }
                grow(done.size);
            }
            case Scalar -> {
                anchor(event, new Anchored(Kind.VALUE, event.getStartMark(), false, 1));
                grow(1);
            }
            case Alias -> {
                return alias(((AliasEvent) event).getAlias().getValue());
            }
            default -> {
            }
        }
        return Optional.empty();
    }

    private Optional<String> alias(String name) {
        Anchored target = anchors.get(name);
        if (target == null) {
            // An undefined alias: the composer reports it, with its place.
            return Optional.empty();
        }
        if (target.open) {
            return Optional.of("*" + name + " refers to the " + target.kind.noun() + " it is in (&" + name + position(target.at)
                    + "): a policy cannot contain itself, directly or through merge keys (<<)");
        }
        if (target.kind != Kind.VALUE && ++collectionAliases > MAX_COLLECTION_ALIASES) {
            return Optional.of("more than " + MAX_COLLECTION_ALIASES + " aliases to lists or maps (a limit against alias bombs)");
        }
        repeated += target.size;
        if (repeated > MAX_REPEATED_NODES) {
            return Optional.of("aliases repeat more than " + MAX_REPEATED_NODES
                    + " lists, maps and values in all (a limit against alias bombs)");
        }
        grow(target.size);
        return Optional.empty();
    }

    /** Records the anchor of a node event, if it has one; returns what it names, or null without one. */
    private Anchored anchor(Event event, Anchored node) {
        Optional<String> name = ((NodeEvent) event).getAnchor().map(a -> a.getValue());
        name.ifPresent(n -> anchors.put(n, node));
        return name.isPresent() ? node : null;
    }

    private void grow(long nodes) {
        if (!open.isEmpty()) {
            open.peek().size += nodes;
        }
    }

    private static String position(Optional<Mark> mark) {
        return mark.map(m -> " at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1)).orElse("");
    }
}
