package io.nbsecrets.dev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The OpenAPI v3 documents of the embedded API server: the index {@code /openapi/v3} and one
 * document per group/version ({@code /openapi/v3/api/v1}, {@code /openapi/v3/apis/<g>/<v>}).
 *
 * <p>kubectl reads them to decide whether the server validates fields itself (a PATCH operation
 * with the query parameter {@code fieldValidation} for the kind: it then sends {@code
 * fieldValidation=Strict} and leaves validation to the server, which {@link SchemaCheck} does), for
 * {@code kubectl explain}, and for the patch type {@code kubectl apply} computes. Custom resources'
 * schemas are their CRD's {@code openAPIV3Schema}; built-in types' come from the Fabric8 model
 * ({@link ModelSchemas}). Built-in PATCH operations do not advertise strategic merge patch, so that
 * kubectl computes such patches from its compiled-in types (whose merge keys match what {@link
 * Patches} applies) rather than from these schemas, which carry no patch strategies.
 */
final class OpenApi {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Map<Class<?>, ModelSchemas> MODEL_SCHEMAS = new ConcurrentHashMap<>();

  private OpenApi() {}

  /** The index key of a group/version: {@code api/v1}, {@code apis/apps/v1}. */
  static String key(String group, String version) {
    return group.isEmpty() ? "api/" + version : "apis/" + group + "/" + version;
  }

  /** {@code GET /openapi/v3}. */
  static ObjectNode index(ApiResources resources) {
    ObjectNode doc = NODES.objectNode();
    ObjectNode paths = doc.putObject("paths");
    resources
        .groups()
        .forEach(
            (group, versions) -> {
              for (String v : versions) {
                String key = key(group, v);
                paths
                    .putObject(key)
                    .put(
                        "serverRelativeURL",
                        "/openapi/v3/" + key + "?hash=" + hash(document(resources, group, v)));
              }
            });
    return doc;
  }

  static String hash(JsonNode doc) {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-512")
              .digest(doc.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().withUpperCase().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The component name of a custom resource kind, as the API server names it. */
  static String customComponent(ApiResources.Resource r) {
    List<String> parts = new ArrayList<>(List.of(r.group().split("\\.")));
    java.util.Collections.reverse(parts);
    return String.join(".", parts) + "." + r.version() + "." + r.kind();
  }

  /** The component name of any resource's kind. */
  static String component(ApiResources.Resource r) {
    return r.custom() ? customComponent(r) : ModelSchemas.name(r.model());
  }

  /** The schemas a resource's objects are checked against: its kind's and what it refers to. */
  static Map<String, JsonNode> components(ApiResources.Resource r) {
    Map<String, JsonNode> out = new TreeMap<>(modelSchemas(ObjectMeta.class).components());
    if (r.custom()) {
      out.put(customComponent(r), customSchema(r));
    } else {
      out.putAll(modelSchemas(r.model()).components());
    }
    return out;
  }

  private static ModelSchemas modelSchemas(Class<?> model) {
    return MODEL_SCHEMAS.computeIfAbsent(
        model,
        m -> {
          ModelSchemas s = new ModelSchemas();
          s.add(m);
          return s;
        });
  }

  private static ObjectNode gvk(ApiResources.Resource r) {
    return NODES
        .objectNode()
        .put("group", r.group())
        .put("kind", r.kind())
        .put("version", r.version());
  }

  private static ObjectNode customSchema(ApiResources.Resource r) {
    JsonNode source = r.crdVersion().path("schema").path("openAPIV3Schema");
    ObjectNode s = source.isObject() ? ((ObjectNode) source).deepCopy() : NODES.objectNode();
    if (!s.has("type")) {
      s.put("type", "object");
    }
    ObjectNode props =
        s.has("properties") ? (ObjectNode) s.get("properties") : s.putObject("properties");
    props
        .putObject("apiVersion")
        .put("type", "string")
        .put(
            "description",
            "APIVersion defines the versioned schema of this representation of an object.");
    props
        .putObject("kind")
        .put("type", "string")
        .put(
            "description",
            "Kind is a string value representing the REST resource this object represents.");
    props.putObject("metadata").put("$ref", ModelSchemas.ref(ModelSchemas.OBJECT_META));
    s.putArray("x-kubernetes-group-version-kind").add(gvk(r));
    return s;
  }

  /** {@code GET /openapi/v3/<key>}: the document of one group/version. */
  static ObjectNode document(ApiResources resources, String group, String version) {
    ObjectNode doc = NODES.objectNode();
    doc.put("openapi", "3.0.0");
    doc.putObject("info")
        .put("title", "Kubernetes")
        .put("version", ApiServerDispatcher.GIT_VERSION);
    ObjectNode paths = doc.putObject("paths");
    Map<String, JsonNode> schemas = new TreeMap<>();
    for (ApiResources.Resource r : resources.all()) {
      if (!r.group().equals(group) || !r.version().equals(version)) {
        continue;
      }
      schemas.putAll(components(r));
      String name = component(r);
      ObjectNode kindSchema = ((ObjectNode) schemas.get(name)).deepCopy();
      if (!kindSchema.has("x-kubernetes-group-version-kind")) {
        kindSchema.putArray("x-kubernetes-group-version-kind").add(gvk(r));
      }
      schemas.put(name, kindSchema);
      addPaths(paths, r, name);
    }
    ObjectNode components = doc.putObject("components").putObject("schemas");
    schemas.forEach(components::set);
    return doc;
  }

  private static void addPaths(ObjectNode paths, ApiResources.Resource r, String schemaName) {
    String base = (r.group().isEmpty() ? "/api/" : "/apis/" + r.group() + "/") + r.version();
    String collection = base + (r.namespaced() ? "/namespaces/{namespace}/" : "/") + r.plural();
    String item = collection + "/{name}";
    JsonNode ref = NODES.objectNode().put("$ref", ModelSchemas.ref(schemaName));
    JsonNode list = NODES.objectNode().put("type", "object");
    String op = r.kind();
    List<String> verbs = r.verbs();

    ObjectNode c = NODES.objectNode();
    pathParameters(c, r.namespaced(), false);
    if (verbs.contains("list")) {
      c.set("get", operation("list" + op, "list", r, list, null, false));
    }
    if (verbs.contains("create")) {
      c.set("post", operation("create" + op, "post", r, ref, ref, false));
    }
    if (verbs.contains("deletecollection")) {
      c.set("delete", operation("deleteCollection" + op, "deletecollection", r, list, null, false));
    }
    if (c.size() > 1) {
      paths.set(collection, c);
    }
    if (r.namespaced() && verbs.contains("list")) {
      ObjectNode all = NODES.objectNode();
      all.set("get", operation("list" + op + "ForAllNamespaces", "list", r, list, null, false));
      paths.set(base + "/" + r.plural(), all);
    }
    if (verbs.contains("get")) {
      ObjectNode i = NODES.objectNode();
      pathParameters(i, r.namespaced(), true);
      i.set("get", operation("read" + op, "get", r, ref, null, false));
      i.set("put", operation("replace" + op, "put", r, ref, ref, false));
      i.set("patch", operation("patch" + op, "patch", r, ref, ref, true));
      i.set("delete", operation("delete" + op, "delete", r, ref, null, false));
      paths.set(item, i);
      if (r.statusSubresource()) {
        ObjectNode s = NODES.objectNode();
        pathParameters(s, r.namespaced(), true);
        s.set("get", operation("read" + op + "Status", "get", r, ref, null, false));
        s.set("put", operation("replace" + op + "Status", "put", r, ref, ref, false));
        s.set("patch", operation("patch" + op + "Status", "patch", r, ref, ref, true));
        paths.set(item + "/status", s);
      }
    }
  }

  private static void pathParameters(ObjectNode pathItem, boolean namespaced, boolean named) {
    ArrayNode params = pathItem.putArray("parameters");
    if (named) {
      params.add(parameter("name", "path", true, "name of the resource"));
    }
    if (namespaced) {
      params.add(parameter("namespace", "path", true, "object name and auth scope"));
    }
  }

  private static ObjectNode parameter(
      String name, String in, boolean required, String description) {
    ObjectNode p = NODES.objectNode();
    p.put("name", name);
    p.put("in", in);
    p.put("description", description);
    if (required) {
      p.put("required", true);
    }
    p.putObject("schema").put("type", "string").put("uniqueItems", true);
    return p;
  }

  private static ObjectNode operation(
      String id,
      String action,
      ApiResources.Resource r,
      JsonNode response,
      JsonNode body,
      boolean patch) {
    ObjectNode o = NODES.objectNode();
    o.put("operationId", id);
    ArrayNode params = o.putArray("parameters");
    boolean write = body != null || action.startsWith("delete");
    if (write) {
      params.add(
          parameter("dryRun", "query", false, "When present, modifications are not persisted."));
    }
    if (body != null) {
      params.add(
          parameter("fieldManager", "query", false, "The name of the actor making the change."));
      params.add(
          parameter(
              "fieldValidation",
              "query",
              false,
              "Ignore, Warn or Strict: what the server does with unknown or duplicate fields."));
      ObjectNode requestBody = o.putObject("requestBody");
      requestBody.put("required", true);
      ObjectNode content = requestBody.putObject("content");
      if (patch) {
        ObjectNode patchSchema = NODES.objectNode().put("type", "object");
        content.putObject("application/json-patch+json").set("schema", patchSchema);
        content.putObject("application/merge-patch+json").set("schema", patchSchema);
        content.putObject("application/apply-patch+yaml").set("schema", patchSchema);
        params.add(parameter("force", "query", false, "Force an apply request."));
      } else {
        content.putObject("*/*").set("schema", body);
      }
    }
    if (action.equals("list")) {
      for (String q :
          List.of(
              "fieldSelector",
              "labelSelector",
              "limit",
              "continue",
              "resourceVersion",
              "timeoutSeconds",
              "watch",
              "allowWatchBookmarks")) {
        params.add(parameter(q, "query", false, q));
      }
    }
    ObjectNode ok = o.putObject("responses").putObject("200");
    ok.put("description", "OK");
    ok.putObject("content").putObject("application/json").set("schema", response);
    o.put("x-kubernetes-action", action);
    o.set("x-kubernetes-group-version-kind", gvk(r));
    return o;
  }
}
