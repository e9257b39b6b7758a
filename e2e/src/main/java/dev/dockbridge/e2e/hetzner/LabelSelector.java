package dev.dockbridge.e2e.hetzner;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.HashSet;

/**
 * Hetzner's label selector language: {@code k=v}, {@code k==v}, {@code k!=v}, {@code k}, {@code !k},
 * {@code k in (a,b)}, {@code k notin (a,b)}, joined by commas (AND). Commas inside parentheses belong to
 * the value list.
 */
final class LabelSelector {
    private LabelSelector() {
    }

    static Predicate<Map<String, String>> parse(String selector) {
        List<Predicate<Map<String, String>>> terms = new ArrayList<>();
        for (String term : split(selector)) {
            terms.add(term(term.strip()));
        }
        return labels -> terms.stream().allMatch(t -> t.test(labels));
    }

    private static List<String> split(String selector) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        StringBuilder current = new StringBuilder();
        for (char c : selector.toCharArray()) {
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            }
            if (c == ',' && depth == 0) {
                out.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (!current.isEmpty()) {
            out.add(current.toString());
        }
        return out;
    }

    private static Predicate<Map<String, String>> term(String t) {
        if (t.matches("\\S+\\s+notin\\s*\\(.*\\)")) {
            String key = t.substring(0, t.indexOf(' '));
            Set<String> values = values(t);
            return l -> !l.containsKey(key) || !values.contains(l.get(key));
        }
        if (t.matches("\\S+\\s+in\\s*\\(.*\\)")) {
            String key = t.substring(0, t.indexOf(' '));
            Set<String> values = values(t);
            return l -> l.containsKey(key) && values.contains(l.get(key));
        }
        if (t.contains("!=")) {
            String[] kv = t.split("!=", 2);
            return l -> !kv[1].strip().equals(l.get(kv[0].strip()));
        }
        if (t.contains("==")) {
            String[] kv = t.split("==", 2);
            return l -> kv[1].strip().equals(l.get(kv[0].strip()));
        }
        if (t.contains("=")) {
            String[] kv = t.split("=", 2);
            return l -> kv[1].strip().equals(l.get(kv[0].strip()));
        }
        if (t.startsWith("!")) {
            return l -> !l.containsKey(t.substring(1).strip());
        }
        if (t.matches("[A-Za-z0-9./_-]+")) {
            return l -> l.containsKey(t);
        }
        throw new IllegalArgumentException("invalid label selector term '" + t + "'");
    }

    private static Set<String> values(String t) {
        String inner = t.substring(t.indexOf('(') + 1, t.lastIndexOf(')'));
        Set<String> values = new HashSet<>();
        for (String v : inner.split(",")) {
            values.add(v.strip());
        }
        return values;
    }
}
