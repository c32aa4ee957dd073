package io.nbsecrets.dev;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Kubernetes label and field selectors, evaluated on JSON objects: what the embedded API server
 * applies to lists and watches. The Fabric8 mock matches selectors only against the attributes it
 * indexes (labels and {@code metadata.name}/{@code metadata.namespace}), so {@code
 * involvedObject.name=...} (what {@code kubectl describe} asks for) or {@code spec.nodeName=...}
 * matched nothing; here a field selector names any field by its dotted path.
 */
final class Selectors {
  private Selectors() {}

  private enum Op {
    EQUALS,
    NOT_EQUALS,
    IN,
    NOT_IN,
    EXISTS,
    NOT_EXISTS
  }

  private record Term(String key, Op op, Set<String> values) {}

  /** A parsed selector; {@link #EVERYTHING} when empty. */
  static final class Selector {
    private final List<Term> terms;
    private final boolean fields;

    private Selector(List<Term> terms, boolean fields) {
      this.terms = terms;
      this.fields = fields;
    }

    boolean matches(JsonNode object) {
      for (Term t : terms) {
        String actual;
        boolean present;
        if (fields) {
          JsonNode v = at(object, t.key());
          present = v != null && !v.isMissingNode() && !v.isNull();
          actual = present ? (v.isValueNode() ? v.asText() : v.toString()) : "";
        } else {
          JsonNode v = object.path("metadata").path("labels").get(t.key());
          present = v != null && !v.isNull();
          actual = present ? v.asText() : null;
        }
        boolean ok =
            switch (t.op()) {
              case EQUALS ->
                  fields ? t.values().contains(actual) : present && t.values().contains(actual);
              case NOT_EQUALS ->
                  fields ? !t.values().contains(actual) : !present || !t.values().contains(actual);
              case IN -> present && t.values().contains(actual);
              case NOT_IN -> !present || !t.values().contains(actual);
              case EXISTS -> present;
              case NOT_EXISTS -> !present;
            };
        if (!ok) {
          return false;
        }
      }
      return true;
    }
  }

  static final Selector EVERYTHING = new Selector(List.of(), false);

  /** The value at a dotted path ({@code involvedObject.name}), or null. */
  static JsonNode at(JsonNode object, String dottedPath) {
    JsonNode n = object;
    for (String part : dottedPath.split("\\.")) {
      if (n == null || !n.isObject()) {
        return null;
      }
      n = n.get(part);
    }
    return n;
  }

  /** A field selector: {@code a.b=v}, {@code a.b==v}, {@code a.b!=v}, comma-separated. */
  static Selector fields(String selector) throws IllegalArgumentException {
    return parse(selector, true, Selectors::fieldTerm);
  }

  private static Term fieldTerm(String p) {
    int ne = p.indexOf("!=");
    int eq = p.indexOf('=');
    if (ne > 0) {
      return new Term(
          p.substring(0, ne).trim(), Op.NOT_EQUALS, Set.of(unescape(p.substring(ne + 2).trim())));
    } else if (eq > 0) {
      int valueStart = p.startsWith("==", eq) ? eq + 2 : eq + 1;
      return new Term(
          p.substring(0, eq).trim(), Op.EQUALS, Set.of(unescape(p.substring(valueStart).trim())));
    } else {
      throw new IllegalArgumentException("invalid field selector: '" + p + "'");
    }
  }

  /**
   * A label selector: {@code k=v}, {@code k==v}, {@code k!=v}, {@code k in (a,b)}, {@code k notin
   * (a,b)}, {@code k}, {@code !k}, comma-separated.
   */
  static Selector labels(String selector) throws IllegalArgumentException {
    return parse(selector, false, Selectors::labelTerm);
  }

  private static Term labelTerm(String p) {
    int paren = p.indexOf('(');
    if (paren > 0) {
      if (!p.endsWith(")")) {
        throw new IllegalArgumentException("invalid label selector: '" + p + "'");
      }
      String head = p.substring(0, paren).trim();
      Set<String> values = Set.copyOf(splitValues(p.substring(paren + 1, p.length() - 1)));
      if (head.endsWith(" notin")) {
        return new Term(head.substring(0, head.length() - 6).trim(), Op.NOT_IN, values);
      } else if (head.endsWith(" in")) {
        return new Term(head.substring(0, head.length() - 3).trim(), Op.IN, values);
      } else {
        throw new IllegalArgumentException("invalid label selector: '" + p + "'");
      }
    } else if (p.contains("!=")) {
      int i = p.indexOf("!=");
      return new Term(p.substring(0, i).trim(), Op.NOT_EQUALS, Set.of(p.substring(i + 2).trim()));
    } else if (p.contains("=")) {
      int i = p.indexOf('=');
      int valueStart = p.startsWith("==", i) ? i + 2 : i + 1;
      return new Term(p.substring(0, i).trim(), Op.EQUALS, Set.of(p.substring(valueStart).trim()));
    } else if (p.startsWith("!")) {
      return new Term(p.substring(1).trim(), Op.NOT_EXISTS, Set.of());
    } else {
      return new Term(p, Op.EXISTS, Set.of());
    }
  }

  /** Parses the comma-separated terms of a selector, each with {@code term}. */
  private static Selector parse(String selector, boolean fields, Function<String, Term> term) {
    if (selector == null || selector.isBlank()) {
      return EVERYTHING;
    }
    List<Term> terms = new ArrayList<>();
    for (String part : splitTerms(selector)) {
      String p = part.trim();
      if (!p.isEmpty()) {
        terms.add(term.apply(p));
      }
    }
    return new Selector(List.copyOf(terms), fields);
  }

  /** Splits on commas outside parentheses. */
  private static List<String> splitTerms(String s) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')') {
        depth--;
      } else if (c == ',' && depth == 0 && (i == 0 || s.charAt(i - 1) != '\\')) {
        out.add(s.substring(start, i));
        start = i + 1;
      }
    }
    out.add(s.substring(start));
    return out;
  }

  private static List<String> splitValues(String s) {
    List<String> out = new ArrayList<>();
    for (String v : s.split(",")) {
      if (!v.isBlank()) {
        out.add(v.trim());
      }
    }
    return out;
  }

  private static String unescape(String v) {
    return v.replace("\\,", ",").replace("\\=", "=").replace("\\\\", "\\");
  }
}
