package io.nbsecrets.dev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The PATCH flavours kubectl sends, computed by the embedded API server itself (the Fabric8 mock's
 * own merge patch appends to arrays, keeps {@code null} values, and it refuses strategic merge and
 * apply patches):
 *
 * <ul>
 *   <li>JSON merge patch, RFC 7386 ({@code application/merge-patch+json}): {@code kubectl patch
 *       --type merge}, {@code kubectl edit} and {@code kubectl apply} of custom resources;
 *   <li>strategic merge patch ({@code application/strategic-merge-patch+json}) for built-in types:
 *       lists merge by the key Kubernetes declares for them (containers, env, volumes by name;
 *       volumeMounts by mountPath; ports; ownerReferences by uid; conditions by type; finalizers as
 *       a set), other lists are replaced; the directives {@code $patch} (replace, delete, merge),
 *       {@code $retainKeys}, {@code $deleteFromPrimitiveList/...} are honoured and {@code
 *       $setElementOrder/...} is accepted (the order is not changed). The merge keys come from a
 *       table of the fields the dev mode's types use, not from the Go structs.
 * </ul>
 */
final class Patches {
  private Patches() {}

  /** Marks "this list merges its primitive values as a set" (finalizers). */
  static final String SET = "";

  /** RFC 7386: objects merge recursively, null removes, anything else replaces. */
  static JsonNode mergePatch(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result =
        target != null && target.isObject()
            ? ((ObjectNode) target).deepCopy()
            : JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      if (e.getValue().isNull()) {
        result.remove(e.getKey());
      } else {
        result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
      }
    }
    return result;
  }

  /**
   * The merge key of a list field of a built-in type: a field name, {@link #SET} for a list of
   * primitives merged as a set, or null for a list that a patch replaces.
   */
  static String mergeKey(String field, JsonNode sample) {
    return switch (field) {
      case "containers",
          "initContainers",
          "ephemeralContainers",
          "volumes",
          "env",
          "imagePullSecrets",
          "resourceClaims",
          "schedulingGates" ->
          "name";
      case "readinessGates" -> "conditionType";
      case "volumeMounts" -> "mountPath";
      case "volumeDevices" -> "devicePath";
      case "ports" -> sample != null && sample.has("containerPort") ? "containerPort" : "port";
      case "ownerReferences" -> "uid";
      case "conditions" -> "type";
      case "hostAliases" -> "ip";
      case "topologySpreadConstraints" -> "topologyKey";
      case "finalizers" -> SET;
      default -> null;
    };
  }

  /** A strategic merge patch applied to {@code original} (a built-in object). */
  static JsonNode strategicMerge(JsonNode original, JsonNode patch) {
    JsonNode r = mergeObject(original, patch);
    return r == null ? JsonNodeFactory.instance.objectNode() : r;
  }

  /** Null: the directive {@code $patch: delete} removed the object. */
  private static JsonNode mergeObject(JsonNode original, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    String directive = patch.path("$patch").asText("");
    if ("delete".equals(directive)) {
      return null;
    }
    ObjectNode result;
    if ("replace".equals(directive) || original == null || !original.isObject()) {
      result = JsonNodeFactory.instance.objectNode();
    } else {
      result = ((ObjectNode) original).deepCopy();
    }
    Set<String> retain = null;
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      String name = e.getKey();
      JsonNode value = e.getValue();
      if (name.equals("$patch") || name.startsWith("$setElementOrder/")) {
        continue;
      }
      if (name.equals("$retainKeys")) {
        retain = new HashSet<>();
        for (JsonNode k : value) {
          retain.add(k.asText());
        }
        continue;
      }
      if (name.startsWith("$deleteFromPrimitiveList/")) {
        String field = name.substring("$deleteFromPrimitiveList/".length());
        JsonNode list = result.get(field);
        if (list != null && list.isArray()) {
          Set<String> drop = new HashSet<>();
          value.forEach(v -> drop.add(v.asText()));
          ArrayNode kept = JsonNodeFactory.instance.arrayNode();
          list.forEach(
              v -> {
                if (!drop.contains(v.asText())) {
                  kept.add(v);
                }
              });
          result.set(field, kept);
        }
        continue;
      }
      if (value.isNull()) {
        result.remove(name);
        continue;
      }
      JsonNode current = result.get(name);
      if (value.isObject()) {
        JsonNode merged = mergeObject(current, value);
        if (merged == null) {
          result.remove(name);
        } else {
          result.set(name, merged);
        }
      } else if (value.isArray()) {
        JsonNode sample =
            value.size() > 0
                ? value.get(0)
                : current != null && current.size() > 0 ? current.get(0) : null;
        result.set(name, mergeList(current, (ArrayNode) value, mergeKey(name, sample)));
      } else {
        result.set(name, value.deepCopy());
      }
    }
    if (retain != null) {
      result.retain(retain);
    }
    return result;
  }

  private static ArrayNode mergeList(JsonNode current, ArrayNode patch, String key) {
    boolean replaceAll = false;
    ArrayNode items = JsonNodeFactory.instance.arrayNode();
    for (JsonNode p : patch) {
      if (p.isObject() && p.size() == 1 && "replace".equals(p.path("$patch").asText())) {
        replaceAll = true;
      } else {
        items.add(p);
      }
    }
    if (key == null || replaceAll || current == null || !current.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      for (JsonNode p : items) {
        if (p.isObject()) {
          JsonNode clean = mergeObject(null, p);
          if (clean != null) {
            out.add(clean);
          }
        } else {
          out.add(p.deepCopy());
        }
      }
      return out;
    }
    ArrayNode out = ((ArrayNode) current).deepCopy();
    if (key.equals(SET)) {
      Set<String> present = new HashSet<>();
      out.forEach(v -> present.add(v.toString()));
      for (JsonNode p : items) {
        if (present.add(p.toString())) {
          out.add(p.deepCopy());
        }
      }
      return out;
    }
    for (JsonNode p : items) {
      if (!p.isObject()) {
        out.add(p.deepCopy());
        continue;
      }
      JsonNode k = p.get(key);
      int at = -1;
      for (int i = 0; k != null && i < out.size(); i++) {
        if (k.equals(out.get(i).get(key))) {
          at = i;
          break;
        }
      }
      boolean delete = "delete".equals(p.path("$patch").asText());
      if (at >= 0) {
        JsonNode merged = delete ? null : mergeObject(out.get(at), p);
        if (merged == null) {
          out.remove(at);
        } else {
          out.set(at, merged);
        }
      } else if (!delete) {
        JsonNode clean = mergeObject(null, p);
        if (clean != null) {
          out.add(clean);
        }
      }
    }
    return out;
  }
}
