package io.nbsecrets.dev;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The resource types the embedded API server holds, and the discovery documents that describe them
 * ({@code /api}, {@code /api/v1}, {@code /apis}, {@code /apis/<group>}, {@code
 * /apis/<group>/<version>}), as a Kubernetes 1.37 API server writes them. Built-in types are listed
 * here; custom resources are derived from the CustomResourceDefinitions the server holds.
 */
final class ApiResources {
  static final List<String> READ_WRITE =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
  static final List<String> STATUS_VERBS = List.of("get", "patch", "update");

  /** One resource type (one plural in one group/version). */
  record Resource(
      String group,
      String version,
      String plural,
      String singular,
      String kind,
      boolean namespaced,
      List<String> shortNames,
      List<String> verbs,
      List<String> categories,
      boolean statusSubresource,
      Class<? extends KubernetesResource> model,
      JsonNode crdVersion) {

    String groupVersion() {
      return group.isEmpty() ? version : group + "/" + version;
    }

    /** {@code notebooksessions.nbsecrets.io}, {@code pods}: as error messages name it. */
    String groupResource() {
      return group.isEmpty() ? plural : plural + "." + group;
    }

    boolean custom() {
      return crdVersion != null;
    }
  }

  /** Events, which the core group and {@code events.k8s.io} serve alike. */
  private static Resource events(String group, Class<? extends KubernetesResource> model) {
    return builtIn(
        group,
        "events",
        "event",
        "Event",
        true,
        List.of("ev"),
        READ_WRITE,
        List.of(),
        false,
        model);
  }

  private static Resource builtIn(
      String group,
      String plural,
      String singular,
      String kind,
      boolean namespaced,
      List<String> shortNames,
      List<String> verbs,
      List<String> categories,
      boolean status,
      Class<? extends KubernetesResource> model) {
    return new Resource(
        group,
        "v1",
        plural,
        singular,
        kind,
        namespaced,
        shortNames,
        verbs,
        categories,
        status,
        model,
        null);
  }

  /** The built-in types the dev mode uses, in the order a real API server lists them. */
  static final List<Resource> BUILT_IN =
      List.of(
          builtIn(
              "",
              "configmaps",
              "configmap",
              "ConfigMap",
              true,
              List.of("cm"),
              READ_WRITE,
              List.of(),
              false,
              ConfigMap.class),
          events("", io.fabric8.kubernetes.api.model.Event.class),
          builtIn(
              "",
              "namespaces",
              "namespace",
              "Namespace",
              false,
              List.of("ns"),
              List.of("create", "delete", "get", "list", "patch", "update", "watch"),
              List.of(),
              true,
              Namespace.class),
          builtIn(
              "",
              "pods",
              "pod",
              "Pod",
              true,
              List.of("po"),
              READ_WRITE,
              List.of("all"),
              true,
              Pod.class),
          builtIn(
              "",
              "secrets",
              "secret",
              "Secret",
              true,
              List.of(),
              READ_WRITE,
              List.of(),
              false,
              Secret.class),
          builtIn(
              "",
              "serviceaccounts",
              "serviceaccount",
              "ServiceAccount",
              true,
              List.of("sa"),
              READ_WRITE,
              List.of(),
              false,
              ServiceAccount.class),
          builtIn(
              "",
              "services",
              "service",
              "Service",
              true,
              List.of("svc"),
              List.of(
                  "create",
                  "delete",
                  "deletecollection",
                  "get",
                  "list",
                  "patch",
                  "update",
                  "watch"),
              List.of("all"),
              true,
              Service.class),
          builtIn(
              "apps",
              "statefulsets",
              "statefulset",
              "StatefulSet",
              true,
              List.of("sts"),
              READ_WRITE,
              List.of("all"),
              true,
              StatefulSet.class),
          events("events.k8s.io", io.fabric8.kubernetes.api.model.events.v1.Event.class),
          builtIn(
              "authentication.k8s.io",
              "tokenreviews",
              "tokenreview",
              "TokenReview",
              false,
              List.of(),
              List.of("create"),
              List.of(),
              false,
              TokenReview.class),
          builtIn(
              "apiextensions.k8s.io",
              "customresourcedefinitions",
              "customresourcedefinition",
              "CustomResourceDefinition",
              false,
              List.of("crd", "crds"),
              READ_WRITE,
              List.of("api-extensions"),
              true,
              CustomResourceDefinition.class),
          builtIn(
              "coordination.k8s.io",
              "leases",
              "lease",
              "Lease",
              true,
              List.of(),
              READ_WRITE,
              List.of(),
              false,
              Lease.class));

  private final List<Resource> resources;

  ApiResources(List<Resource> resources) {
    this.resources = List.copyOf(resources);
  }

  /** The built-in types plus every served version of every CRD in {@code crds}. */
  static ApiResources of(List<JsonNode> crds) {
    List<Resource> all = new ArrayList<>(BUILT_IN);
    for (JsonNode crd : crds) {
      all.addAll(fromCrd(crd));
    }
    return new ApiResources(all);
  }

  /** The resources a CustomResourceDefinition defines: one per served version. */
  static List<Resource> fromCrd(JsonNode crd) {
    JsonNode spec = crd.path("spec");
    JsonNode names = spec.path("names");
    List<Resource> out = new ArrayList<>();
    for (JsonNode v : spec.path("versions")) {
      if (!v.path("served").asBoolean(true)) {
        continue;
      }
      out.add(
          new Resource(
              spec.path("group").asText(),
              v.path("name").asText(),
              names.path("plural").asText(),
              names.path("singular").asText(names.path("kind").asText().toLowerCase()),
              names.path("kind").asText(),
              !"Cluster".equals(spec.path("scope").asText()),
              strings(names.path("shortNames")),
              READ_WRITE,
              strings(names.path("categories")),
              v.path("subresources").has("status"),
              null,
              v));
    }
    return out;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return List.copyOf(out);
  }

  List<Resource> all() {
    return resources;
  }

  Optional<Resource> find(String group, String version, String plural) {
    return resources.stream()
        .filter(r -> r.group().equals(group) && r.version().equals(version))
        .filter(r -> r.plural().equals(plural))
        .findFirst();
  }

  /** Group name to its versions, in discovery order (the legacy group "" first). */
  Map<String, List<String>> groups() {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (Resource r : resources) {
      List<String> versions = groups.computeIfAbsent(r.group(), g -> new ArrayList<>());
      if (!versions.contains(r.version())) {
        versions.add(r.version());
      }
    }
    return groups;
  }

  boolean hasGroupVersion(String group, String version) {
    return groups().getOrDefault(group, List.of()).contains(version);
  }

  // ------------------------------------------------------------------------ documents

  /** {@code GET /api}: APIVersions. */
  ObjectNode apiVersions(ObjectMapper json, String serverAddress) {
    ObjectNode doc = json.createObjectNode();
    doc.put("kind", "APIVersions");
    doc.putArray("versions").add("v1");
    ObjectNode cidr = doc.putArray("serverAddressByClientCIDRs").addObject();
    cidr.put("clientCIDR", "0.0.0.0/0");
    cidr.put("serverAddress", serverAddress);
    return doc;
  }

  /** {@code GET /apis}: APIGroupList, every group but the legacy one. */
  ObjectNode apiGroupList(ObjectMapper json) {
    ObjectNode doc = json.createObjectNode();
    doc.put("kind", "APIGroupList");
    doc.put("apiVersion", "v1");
    ArrayNode groups = doc.putArray("groups");
    groups()
        .forEach(
            (group, versions) -> {
              if (!group.isEmpty()) {
                groups.add(apiGroup(json, group, versions));
              }
            });
    return doc;
  }

  /** {@code GET /apis/<group>}: APIGroup. */
  ObjectNode apiGroup(ObjectMapper json, String group, List<String> versions) {
    ObjectNode g = json.createObjectNode();
    g.put("kind", "APIGroup");
    g.put("apiVersion", "v1");
    g.put("name", group);
    ArrayNode vs = g.putArray("versions");
    for (String v : versions) {
      vs.addObject().put("groupVersion", group + "/" + v).put("version", v);
    }
    g.putObject("preferredVersion")
        .put("groupVersion", group + "/" + versions.get(0))
        .put("version", versions.get(0));
    return g;
  }

  /** {@code GET /api/v1}, {@code GET /apis/<group>/<version>}: APIResourceList. */
  ObjectNode apiResourceList(ObjectMapper json, String group, String version) {
    ObjectNode doc = json.createObjectNode();
    doc.put("kind", "APIResourceList");
    doc.put("apiVersion", "v1");
    doc.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
    ArrayNode list = doc.putArray("resources");
    for (Resource r : resources) {
      if (!r.group().equals(group) || !r.version().equals(version)) {
        continue;
      }
      ObjectNode e = list.addObject();
      e.put("name", r.plural());
      e.put("singularName", r.singular());
      e.put("namespaced", r.namespaced());
      e.put("kind", r.kind());
      ArrayNode verbs = e.putArray("verbs");
      r.verbs().forEach(verbs::add);
      if (!r.shortNames().isEmpty()) {
        ArrayNode sn = e.putArray("shortNames");
        r.shortNames().forEach(sn::add);
      }
      if (!r.categories().isEmpty()) {
        ArrayNode cs = e.putArray("categories");
        r.categories().forEach(cs::add);
      }
      if (r.statusSubresource()) {
        ObjectNode s = list.addObject();
        s.put("name", r.plural() + "/status");
        s.put("singularName", "");
        s.put("namespaced", r.namespaced());
        s.put("kind", r.kind());
        ArrayNode sv = s.putArray("verbs");
        STATUS_VERBS.forEach(sv::add);
      }
    }
    return doc;
  }
}
