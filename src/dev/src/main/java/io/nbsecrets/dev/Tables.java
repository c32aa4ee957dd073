package io.nbsecrets.dev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Server-side printing: the {@code meta.k8s.io/v1} Table that {@code kubectl get} asks for ({@code
 * Accept: application/json;as=Table;v=v1;g=meta.k8s.io}). Custom resources get the columns of their
 * CRD's {@code additionalPrinterColumns} (JSONPath, as the API server evaluates them); the built-in
 * types get the main columns of Kubernetes' own printers.
 */
final class Tables {
  private Tables() {}

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** One column: its definition and how to compute a cell (null: {@code <none>}). */
  record Column(
      String name, String type, String format, int priority, Function<JsonNode, Object> cell) {}

  /** The columns for objects of {@code resource}. */
  static List<Column> columns(ApiResources.Resource resource) {
    List<Column> cols = new ArrayList<>();
    if (resource.custom()) {
      cols.add(name());
      JsonNode printer = resource.crdVersion().path("additionalPrinterColumns");
      if (printer.isEmpty()) {
        cols.add(age());
      }
      for (JsonNode c : printer) {
        String path = c.path("jsonPath").asText();
        String type = c.path("type").asText("string");
        cols.add(
            new Column(
                c.path("name").asText(),
                type,
                c.path("format").asText(""),
                c.path("priority").asInt(0),
                o -> jsonPathCell(o, path, type)));
      }
      return cols;
    }
    String kind = resource.kind();
    if (kind.equals("Event")) {
      boolean core = resource.group().isEmpty();
      cols.add(
          col(
              "Last Seen",
              o ->
                  ageOf(
                      firstText(
                          o,
                          core ? "lastTimestamp" : "series.lastObservedTime",
                          "eventTime",
                          "deprecatedLastTimestamp",
                          "metadata.creationTimestamp"))));
      cols.add(col("Type", o -> text(o, "type")));
      cols.add(col("Reason", o -> text(o, "reason")));
      cols.add(
          col(
              "Object",
              o -> {
                JsonNode ref = o.path(core ? "involvedObject" : "regarding");
                return ref.path("kind").asText().toLowerCase(Locale.ROOT)
                    + "/"
                    + ref.path("name").asText();
              }));
      cols.add(col("Message", o -> text(o, core ? "message" : "note")));
      cols.add(
          new Column("Name", "string", "name", 1, o -> o.path("metadata").path("name").asText()));
      return cols;
    }
    cols.add(name());
    switch (kind) {
      case "Namespace" -> cols.add(col("Status", o -> text(o, "status.phase")));
      case "Secret" -> {
        cols.add(col("Type", o -> text(o, "type")));
        cols.add(new Column("Data", "integer", "", 0, o -> (long) o.path("data").size()));
      }
      case "ConfigMap" ->
          cols.add(
              new Column(
                  "Data",
                  "integer",
                  "",
                  0,
                  o -> (long) (o.path("data").size() + o.path("binaryData").size())));
      case "ServiceAccount" ->
          cols.add(new Column("Secrets", "integer", "", 0, o -> (long) o.path("secrets").size()));
      case "Service" -> {
        cols.add(col("Type", o -> text(o, "spec.type")));
        cols.add(col("Cluster-IP", o -> text(o, "spec.clusterIP")));
        cols.add(col("External-IP", Tables::externalIps));
        cols.add(col("Port(s)", Tables::servicePorts));
      }
      case "Pod" -> {
        cols.add(col("Ready", Tables::podReady));
        cols.add(col("Status", Tables::podStatus));
        cols.add(new Column("Restarts", "string", "", 0, Tables::podRestarts));
      }
      case "StatefulSet" ->
          cols.add(
              col(
                  "Ready",
                  o ->
                      o.path("status").path("readyReplicas").asLong(0)
                          + "/"
                          + o.path("spec").path("replicas").asLong(1)));
      case "Lease" -> cols.add(col("Holder", o -> text(o, "spec.holderIdentity")));
      case "CustomResourceDefinition" -> {
        cols.add(
            new Column("Created At", "date", "", 0, o -> text(o, "metadata.creationTimestamp")));
        return cols;
      }
      default -> {
        // name and age only
      }
    }
    cols.add(age());
    switch (kind) {
      case "Pod" -> {
        cols.add(new Column("IP", "string", "", 1, o -> text(o, "status.podIP")));
        cols.add(new Column("Node", "string", "", 1, o -> text(o, "spec.nodeName")));
      }
      case "Service" ->
          cols.add(
              new Column(
                  "Selector", "string", "", 1, o -> mapText(o.path("spec").path("selector"))));
      case "StatefulSet" -> {
        cols.add(new Column("Containers", "string", "", 1, o -> containers(o, "name")));
        cols.add(new Column("Images", "string", "", 1, o -> containers(o, "image")));
      }
      default -> {
        // no wide columns
      }
    }
    return cols;
  }

  /**
   * The Table for {@code objects}; {@code includeObject} is the request's parameter ({@code None},
   * {@code Metadata} (the default) or {@code Object}).
   */
  static ObjectNode table(
      ApiResources.Resource resource,
      List<JsonNode> objects,
      String resourceVersion,
      String includeObject,
      boolean withHeaders) {
    List<Column> cols = columns(resource);
    ObjectNode t = NODES.objectNode();
    t.put("kind", "Table");
    t.put("apiVersion", "meta.k8s.io/v1");
    ObjectNode meta = t.putObject("metadata");
    if (resourceVersion != null) {
      meta.put("resourceVersion", resourceVersion);
    }
    ArrayNode defs = t.putArray("columnDefinitions");
    if (withHeaders) {
      for (Column c : cols) {
        ObjectNode d = defs.addObject();
        d.put("name", c.name());
        d.put("type", c.type());
        d.put("format", c.format());
        d.put("description", "");
        d.put("priority", c.priority());
      }
    }
    ArrayNode rows = t.putArray("rows");
    for (JsonNode o : objects) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      for (Column c : cols) {
        Object v;
        try {
          v = c.cell().apply(o);
        } catch (RuntimeException e) {
          v = null;
        }
        if (v == null) {
          cells.addNull();
        } else if (v instanceof Long l) {
          cells.add(l);
        } else if (v instanceof Double d) {
          cells.add(d);
        } else if (v instanceof Boolean b) {
          cells.add(b);
        } else {
          cells.add(v.toString());
        }
      }
      String include =
          includeObject == null || includeObject.isEmpty() ? "Metadata" : includeObject;
      switch (include) {
        case "None" -> row.putNull("object");
        case "Object" -> row.set("object", o);
        default -> {
          ObjectNode partial = row.putObject("object");
          partial.put("kind", "PartialObjectMetadata");
          partial.put("apiVersion", "meta.k8s.io/v1");
          partial.set("metadata", o.path("metadata"));
        }
      }
    }
    return t;
  }

  private static Column name() {
    return new Column("Name", "string", "name", 0, o -> o.path("metadata").path("name").asText());
  }

  private static Column age() {
    return col("Age", o -> ageOf(text(o, "metadata.creationTimestamp")));
  }

  private static Column col(String name, Function<JsonNode, Object> cell) {
    return new Column(name, "string", "", 0, cell);
  }

  private static String text(JsonNode o, String dotted) {
    JsonNode v = Selectors.at(o, dotted);
    return v == null || v.isNull() || v.isMissingNode() || v.asText().isEmpty() ? null : v.asText();
  }

  private static String firstText(JsonNode o, String... paths) {
    for (String p : paths) {
      String v = text(o, p);
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static String mapText(JsonNode map) {
    if (map == null || map.isEmpty()) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    map.properties().forEach(e -> parts.add(e.getKey() + "=" + e.getValue().asText()));
    return String.join(",", parts);
  }

  private static String containers(JsonNode sts, String field) {
    List<String> out = new ArrayList<>();
    sts.path("spec")
        .path("template")
        .path("spec")
        .path("containers")
        .forEach(c -> out.add(c.path(field).asText()));
    return out.isEmpty() ? null : String.join(",", out);
  }

  private static String externalIps(JsonNode svc) {
    List<String> ips = new ArrayList<>();
    svc.path("spec").path("externalIPs").forEach(i -> ips.add(i.asText()));
    svc.path("status")
        .path("loadBalancer")
        .path("ingress")
        .forEach(i -> ips.add(i.path("ip").asText(i.path("hostname").asText())));
    if (!ips.isEmpty()) {
      return String.join(",", ips);
    }
    return "LoadBalancer".equals(svc.path("spec").path("type").asText()) ? "<pending>" : "<none>";
  }

  private static String servicePorts(JsonNode svc) {
    List<String> ports = new ArrayList<>();
    for (JsonNode p : svc.path("spec").path("ports")) {
      String port = p.path("port").asText();
      if (p.has("nodePort")) {
        port += ":" + p.path("nodePort").asText();
      }
      ports.add(port + "/" + p.path("protocol").asText("TCP"));
    }
    return ports.isEmpty() ? "<none>" : String.join(",", ports);
  }

  private static String podReady(JsonNode pod) {
    int total = pod.path("spec").path("containers").size();
    int ready = 0;
    for (JsonNode s : pod.path("status").path("containerStatuses")) {
      if (s.path("ready").asBoolean(false)) {
        ready++;
      }
    }
    return ready + "/" + total;
  }

  private static String podStatus(JsonNode pod) {
    if (pod.path("metadata").has("deletionTimestamp")) {
      return "Terminating";
    }
    String reason = pod.path("status").path("reason").asText("");
    if (!reason.isEmpty()) {
      return reason;
    }
    for (JsonNode s : pod.path("status").path("initContainerStatuses")) {
      String waiting = s.path("state").path("waiting").path("reason").asText("");
      if (!waiting.isEmpty() && !waiting.equals("PodInitializing")) {
        return "Init:" + waiting;
      }
      if (!s.path("state").has("terminated")) {
        return "Init:0/" + pod.path("spec").path("initContainers").size();
      }
    }
    for (JsonNode s : pod.path("status").path("containerStatuses")) {
      String waiting = s.path("state").path("waiting").path("reason").asText("");
      if (!waiting.isEmpty()) {
        return waiting;
      }
      String terminated = s.path("state").path("terminated").path("reason").asText("");
      if (!terminated.isEmpty()) {
        return terminated;
      }
    }
    return pod.path("status").path("phase").asText("Pending");
  }

  private static String podRestarts(JsonNode pod) {
    long n = 0;
    for (JsonNode s : pod.path("status").path("containerStatuses")) {
      n += s.path("restartCount").asLong(0);
    }
    return Long.toString(n);
  }

  // ------------------------------------------------------------------ custom resource columns

  /** A cell of a CRD printer column, as the API server's table convertor computes it. */
  static Object jsonPathCell(JsonNode object, String jsonPath, String type) {
    List<JsonNode> results = JsonPath.find(object, jsonPath);
    if (results.isEmpty() || results.get(0) == null || results.get(0).isNull()) {
      return null;
    }
    JsonNode v = results.get(0);
    return switch (type) {
      case "integer" -> v.isNumber() ? Long.valueOf(v.asLong()) : null;
      case "number" -> v.isNumber() ? Double.valueOf(v.asDouble()) : null;
      case "boolean" -> v.isBoolean() ? Boolean.valueOf(v.asBoolean()) : null;
      case "date" -> v.isTextual() ? ageOf(v.asText()) : null;
      default -> v.isValueNode() ? v.asText() : v.toString();
    };
  }

  /** Kubernetes' HumanDuration of the time since {@code timestamp}; {@code <unknown>} if none. */
  static String ageOf(String timestamp) {
    if (timestamp == null) {
      return "<unknown>";
    }
    try {
      Instant t = OffsetDateTime.parse(timestamp).toInstant();
      return humanDuration(Duration.between(t, Instant.now()));
    } catch (DateTimeParseException e) {
      return "<invalid>";
    }
  }

  /** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
  static String humanDuration(Duration d) {
    long seconds = d.getSeconds();
    if (seconds < -1) {
      return "<invalid>";
    } else if (seconds < 0) {
      return "0s";
    } else if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = seconds / 60;
    if (minutes < 10) {
      return twoUnits(minutes, "m", seconds % 60, "s");
    } else if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = minutes / 60;
    if (hours < 8) {
      return twoUnits(hours, "h", minutes % 60, "m");
    } else if (hours < 48) {
      return hours + "h";
    } else if (hours < 24 * 8) {
      return twoUnits(hours / 24, "d", hours % 24, "h");
    } else if (hours < 24 * 365 * 2) {
      return (hours / 24) + "d";
    } else if (hours < 24 * 365 * 8) {
      return twoUnits(hours / 24 / 365, "y", (hours / 24) % 365, "d");
    }
    return (hours / 24 / 365) + "y";
  }

  /** {@code 3m}, or {@code 3m20s} where the smaller unit is not zero. */
  private static String twoUnits(long large, String largeUnit, long small, String smallUnit) {
    return small == 0 ? large + largeUnit : large + largeUnit + small + smallUnit;
  }

  /**
   * The subset of Kubernetes JSONPath that printer columns use: {@code .a.b}, {@code ['a']}, {@code
   * [0]}, {@code [*]} and filters {@code [?(@.a.b=="x")]} ({@code ==}, {@code !=}, or a bare path
   * for existence).
   */
  static final class JsonPath {
    private JsonPath() {}

    static List<JsonNode> find(JsonNode root, String expression) {
      String e = expression.trim();
      if (e.startsWith("{") && e.endsWith("}")) {
        e = e.substring(1, e.length() - 1).trim();
      }
      if (e.startsWith("$")) {
        e = e.substring(1);
      }
      List<JsonNode> current = new ArrayList<>(List.of(root));
      int i = 0;
      while (i < e.length() && !current.isEmpty()) {
        char c = e.charAt(i);
        if (c == '.') {
          int end = i + 1;
          while (end < e.length() && e.charAt(end) != '.' && e.charAt(end) != '[') {
            end++;
          }
          String field = e.substring(i + 1, end);
          if (!field.isEmpty()) {
            current = field.equals("*") ? children(current) : fields(current, field);
          }
          i = end;
        } else if (c == '[') {
          int end = closing(e, i);
          String inner = e.substring(i + 1, end).trim();
          if (inner.equals("*")) {
            current = children(current);
          } else if (inner.startsWith("?(") && inner.endsWith(")")) {
            current = filter(current, inner.substring(2, inner.length() - 1).trim());
          } else if (inner.startsWith("'") || inner.startsWith("\"")) {
            current = fields(current, inner.substring(1, inner.length() - 1));
          } else {
            int index = Integer.parseInt(inner);
            List<JsonNode> next = new ArrayList<>();
            for (JsonNode n : current) {
              if (n.isArray()) {
                int at = index < 0 ? n.size() + index : index;
                if (at >= 0 && at < n.size()) {
                  next.add(n.get(at));
                }
              }
            }
            current = next;
          }
          i = end + 1;
        } else {
          throw new IllegalArgumentException("unsupported JSONPath: " + expression);
        }
      }
      return current;
    }

    private static int closing(String e, int open) {
      boolean quoted = false;
      char quote = 0;
      int depth = 0;
      for (int i = open; i < e.length(); i++) {
        char c = e.charAt(i);
        if (quoted) {
          if (c == quote) {
            quoted = false;
          }
        } else if (c == '"' || c == '\'') {
          quoted = true;
          quote = c;
        } else if (c == '[' || c == '(') {
          depth++;
        } else if (c == ']' || c == ')') {
          depth--;
          if (depth == 0 && c == ']') {
            return i;
          }
        }
      }
      throw new IllegalArgumentException("unclosed [ in JSONPath: " + e);
    }

    private static List<JsonNode> fields(List<JsonNode> nodes, String field) {
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode n : nodes) {
        JsonNode v = n.isObject() ? n.get(field) : null;
        if (v != null) {
          next.add(v);
        }
      }
      return next;
    }

    private static List<JsonNode> children(List<JsonNode> nodes) {
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode n : nodes) {
        n.forEach(next::add);
      }
      return next;
    }

    private static List<JsonNode> filter(List<JsonNode> nodes, String condition) {
      String op = condition.contains("!=") ? "!=" : condition.contains("==") ? "==" : null;
      String left = op == null ? condition : condition.substring(0, condition.indexOf(op)).trim();
      String right = op == null ? null : condition.substring(condition.indexOf(op) + 2).trim();
      if (!left.startsWith("@")) {
        throw new IllegalArgumentException("unsupported JSONPath filter: " + condition);
      }
      String path = left.substring(1);
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode n : nodes) {
        List<JsonNode> items = new ArrayList<>();
        if (n.isArray()) {
          n.forEach(items::add);
        } else {
          items.add(n);
        }
        for (JsonNode item : items) {
          List<JsonNode> found = path.isEmpty() ? List.of(item) : find(item, path);
          if (op == null) {
            if (!found.isEmpty()) {
              next.add(item);
            }
            continue;
          }
          String actual = found.isEmpty() ? null : found.get(0).asText();
          String expected = unquote(right);
          boolean equal = actual != null && actual.equals(expected);
          if (op.equals("==") == equal) {
            next.add(item);
          }
        }
      }
      return next;
    }

    private static String unquote(String v) {
      if (v.length() >= 2
          && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
        return v.substring(1, v.length() - 1);
      }
      return v;
    }
  }
}
