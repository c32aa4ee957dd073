package io.nbsecrets.dev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks an object against an OpenAPI v3 schema the way the API server does for a write that asks
 * for field validation: unknown fields (reported, and pruned), and for custom resources the
 * structural schema's value constraints (type, required, enum, pattern, lengths, bounds, item and
 * property counts). CEL rules ({@code x-kubernetes-validations}) are not evaluated.
 */
final class SchemaCheck {
  private final Map<String, JsonNode> components;
  private final boolean values;

  /** What the walk found: unknown field paths and value errors, API-server style. */
  record Findings(List<String> unknown, List<String> invalid) {}

  /**
   * @param components for {@code $ref} resolution
   * @param values whether to check value constraints too (custom resources), not only fields
   */
  SchemaCheck(Map<String, JsonNode> components, boolean values) {
    this.components = components;
    this.values = values;
  }

  /** Walks {@code object}; removes the unknown fields from it when {@code prune}. */
  Findings check(JsonNode object, JsonNode schema, boolean prune) {
    List<String> unknown = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    walk(object, schema, "", prune, unknown, invalid);
    return new Findings(unknown, invalid);
  }

  private JsonNode resolve(JsonNode schema) {
    JsonNode s = schema;
    for (int i = 0; i < 10 && s != null && s.has("$ref"); i++) {
      String ref = s.get("$ref").asText();
      s = components.get(ref.substring(ref.lastIndexOf('/') + 1));
    }
    if (s != null && s.has("allOf") && s.get("allOf").size() == 1 && !s.has("properties")) {
      return resolve(s.get("allOf").get(0));
    }
    return s;
  }

  private void walk(
      JsonNode value,
      JsonNode rawSchema,
      String path,
      boolean prune,
      List<String> unknown,
      List<String> invalid) {
    JsonNode schema = resolve(rawSchema);
    if (schema == null || value == null) {
      return;
    }
    if (value.isNull()) {
      if (values && !schema.path("nullable").asBoolean(false) && schema.has("type")) {
        invalid.add(
            at(path)
                + ": Invalid value: \"null\": "
                + at(path)
                + " in body must be of type "
                + schema.get("type").asText()
                + ": \"null\"");
      }
      return;
    }
    boolean intOrString = schema.path("x-kubernetes-int-or-string").asBoolean(false);
    if (values && !intOrString) {
      checkValue(value, schema, path, invalid);
    }
    if (value.isObject()) {
      ObjectNode obj = (ObjectNode) value;
      JsonNode props = schema.get("properties");
      JsonNode additional = schema.get("additionalProperties");
      boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
      boolean embedded = schema.path("x-kubernetes-embedded-resource").asBoolean(false);
      List<String> drop = new ArrayList<>();
      for (Map.Entry<String, JsonNode> e : obj.properties()) {
        String name = e.getKey();
        String child = path.isEmpty() ? name : path + "." + name;
        JsonNode fieldSchema = props == null ? null : props.get(name);
        if (fieldSchema != null) {
          walk(e.getValue(), fieldSchema, child, prune, unknown, invalid);
        } else if (additional != null && additional.isObject()) {
          walk(e.getValue(), additional, child, prune, unknown, invalid);
        } else if (preserve
            || (additional != null && additional.asBoolean(false))
            || (embedded
                && (name.equals("apiVersion") || name.equals("kind") || name.equals("metadata")))
            || schema.has("anyOf")
            || schema.has("oneOf")
            || intOrString) {
          continue;
        } else if (props != null || schema.path("type").asText().equals("object")) {
          unknown.add(child);
          drop.add(name);
        }
      }
      if (prune) {
        obj.remove(drop);
      }
      if (values && schema.has("required")) {
        for (JsonNode r : schema.get("required")) {
          if (!obj.has(r.asText())) {
            String child = path.isEmpty() ? r.asText() : path + "." + r.asText();
            invalid.add(child + ": Required value");
          }
        }
      }
    } else if (value.isArray() && schema.has("items")) {
      for (int i = 0; i < value.size(); i++) {
        walk(value.get(i), schema.get("items"), path + "[" + i + "]", prune, unknown, invalid);
      }
    }
  }

  private static String at(String path) {
    return path.isEmpty() ? "<root>" : path;
  }

  private static void checkValue(JsonNode v, JsonNode s, String path, List<String> invalid) {
    String p = at(path);
    String type = s.path("type").asText("");
    if (!type.isEmpty() && !hasType(v, type)) {
      invalid.add(
          p
              + ": Invalid value: \""
              + jsonType(v)
              + "\": "
              + p
              + " in body must be of type "
              + type
              + ": \""
              + jsonType(v)
              + "\"");
      return;
    }
    if (s.has("enum")) {
      boolean found = false;
      for (JsonNode e : s.get("enum")) {
        found |= e.equals(v);
      }
      if (!found) {
        List<String> allowed = new ArrayList<>();
        s.get("enum").forEach(e -> allowed.add(e.toString()));
        invalid.add(
            p + ": Unsupported value: " + v + ": supported values: " + String.join(", ", allowed));
      }
    }
    if (v.isTextual()) {
      String text = v.asText();
      int length = text.codePointCount(0, text.length());
      if (s.has("maxLength") && length > s.get("maxLength").asInt()) {
        invalid.add(
            p + ": Too long: may not be more than " + s.get("maxLength").asInt() + " bytes");
      }
      if (s.has("minLength") && length < s.get("minLength").asInt()) {
        invalid.add(
            p
                + ": Invalid value: \""
                + text
                + "\": "
                + p
                + " in body should be at least "
                + s.get("minLength").asInt()
                + " chars long");
      }
      if (s.has("pattern")) {
        try {
          if (!Pattern.compile(s.get("pattern").asText()).matcher(text).find()) {
            invalid.add(
                p
                    + ": Invalid value: \""
                    + text
                    + "\": "
                    + p
                    + " in body should match '"
                    + s.get("pattern").asText()
                    + "'");
          }
        } catch (PatternSyntaxException e) {
          // a pattern Java cannot read: not checked
        }
      }
    }
    if (v.isNumber()) {
      BigDecimal n = v.decimalValue();
      if (s.has("maximum")) {
        BigDecimal max = s.get("maximum").decimalValue();
        boolean exclusive = s.path("exclusiveMaximum").asBoolean(false);
        if (exclusive ? n.compareTo(max) >= 0 : n.compareTo(max) > 0) {
          invalid.add(
              p
                  + ": Invalid value: "
                  + v
                  + ": "
                  + p
                  + " in body should be less than "
                  + (exclusive ? "" : "or equal to ")
                  + max.stripTrailingZeros().toPlainString());
        }
      }
      if (s.has("minimum")) {
        BigDecimal min = s.get("minimum").decimalValue();
        boolean exclusive = s.path("exclusiveMinimum").asBoolean(false);
        if (exclusive ? n.compareTo(min) <= 0 : n.compareTo(min) < 0) {
          invalid.add(
              p
                  + ": Invalid value: "
                  + v
                  + ": "
                  + p
                  + " in body should be greater than "
                  + (exclusive ? "" : "or equal to ")
                  + min.stripTrailingZeros().toPlainString());
        }
      }
    }
    if (v.isArray()) {
      checkCount(v.size(), s, p, "Items", "items", invalid);
      if (s.path("x-kubernetes-list-type").asText().equals("set")) {
        Set<JsonNode> seen = new HashSet<>();
        for (int i = 0; i < v.size(); i++) {
          if (!seen.add(v.get(i))) {
            invalid.add(p + "[" + i + "]: Duplicate value: " + v.get(i));
          }
        }
      }
    }
    if (v.isObject()) {
      checkCount(v.size(), s, p, "Properties", "properties", invalid);
    }
  }

  /**
   * Checks {@code size} against the schema's {@code max<bound>} and {@code min<bound>} ({@code
   * maxItems}, {@code minProperties}, ...), in the API server's words (which say "items" for both
   * maxima).
   */
  private static void checkCount(
      int size, JsonNode s, String p, String bound, String things, List<String> invalid) {
    if (s.has("max" + bound) && size > s.get("max" + bound).asInt()) {
      invalid.add(
          p
              + ": Too many: "
              + size
              + ": must have at most "
              + s.get("max" + bound).asInt()
              + " items");
    }
    if (s.has("min" + bound) && size < s.get("min" + bound).asInt()) {
      invalid.add(
          p
              + ": Invalid value: "
              + size
              + ": "
              + p
              + " in body should have at least "
              + s.get("min" + bound).asInt()
              + " "
              + things);
    }
  }

  private static boolean hasType(JsonNode v, String type) {
    return switch (type) {
      case "string" -> v.isTextual();
      case "integer" ->
          v.isIntegralNumber()
              || (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0);
      case "number" -> v.isNumber();
      case "boolean" -> v.isBoolean();
      case "array" -> v.isArray();
      case "object" -> v.isObject();
      default -> true;
    };
  }

  private static String jsonType(JsonNode v) {
    if (v.isTextual()) {
      return "string";
    } else if (v.isIntegralNumber()) {
      return "integer";
    } else if (v.isNumber()) {
      return "number";
    } else if (v.isBoolean()) {
      return "boolean";
    } else if (v.isArray()) {
      return "array";
    } else if (v.isObject()) {
      return "object";
    }
    return "null";
  }
}
