package io.nbsecrets.dev;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.nbsecrets.model.NotebookSession;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The embedded API server's additions for kubectl, without kubectl: discovery, selectors, tables,
 * patches, streamed HTTP watches, field validation, protobuf bodies; and that the Fabric8 client
 * (the operator's) still works with them.
 */
@Timeout(60)
class ApiServerDispatcherTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  static KubernetesMockServer server;
  static KubernetesClient client;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    server = ApiServerDispatcher.newMockServer();
    server.init(InetAddress.getLoopbackAddress(), 0);
    client = server.createClient();
    try (InputStream in =
        ApiServerDispatcherTest.class
            .getClassLoader()
            .getResourceAsStream(DevEnvironment.CRD_RESOURCE)) {
      CustomResourceDefinition crd =
          client.apiextensions().v1().customResourceDefinitions().load(in).item();
      client.resource(crd).create();
    }
    client
        .resource(new NamespaceBuilder().withNewMetadata().withName("t").endMetadata().build())
        .create();
  }

  @AfterAll
  static void stop() {
    client.close();
    server.destroy();
  }

  static String url(String path) {
    return "http://" + server.getHostName() + ":" + server.getPort() + path;
  }

  static HttpResponse<String> get(String path, String accept) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path)));
    if (accept != null) {
      b.header("Accept", accept);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> send(String method, String path, String contentType, String body)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url(path)))
            .header("Content-Type", contentType)
            .method(method, HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void discoveryAndVersionAsTheFabric8ClientReadsThem() {
    VersionInfo v = client.getKubernetesVersion();
    assertThat(v.getMajor()).isEqualTo("1");
    assertThat(v.getMinor()).isEqualTo("37");
    assertThat(client.getApiGroups().getGroups())
        .extracting(g -> g.getName())
        .contains("apps", "events.k8s.io", "coordination.k8s.io", "nbsecrets.io");
    var nbs = client.getApiResources("nbsecrets.io/v1alpha1").getResources();
    assertThat(nbs)
        .extracting(r -> r.getName())
        .containsExactly("notebooksessions", "notebooksessions/status");
    assertThat(nbs.get(0).getShortNames()).containsExactly("nbs");
    assertThat(nbs.get(0).getNamespaced()).isTrue();
    var apps = client.getApiResources("apps/v1").getResources();
    assertThat(apps).extracting(r -> r.getName()).contains("statefulsets", "statefulsets/status");
  }

  @Test
  void openApiServesTheCrdSchemaAndAdvertisesFieldValidation() throws Exception {
    JsonNode index = JSON.readTree(get("/openapi/v3", null).body());
    String ref =
        index.path("paths").path("apis/nbsecrets.io/v1alpha1").path("serverRelativeURL").asText();
    assertThat(ref).startsWith("/openapi/v3/apis/nbsecrets.io/v1alpha1?hash=");
    JsonNode doc = JSON.readTree(get(ref, null).body());
    JsonNode schema =
        doc.path("components").path("schemas").path("io.nbsecrets.v1alpha1.NotebookSession");
    assertThat(schema.path("properties").path("spec").path("required").toString()).contains("user");
    assertThat(schema.path("x-kubernetes-group-version-kind").get(0).path("kind").asText())
        .isEqualTo("NotebookSession");
    JsonNode patch =
        doc.path("paths")
            .path("/apis/nbsecrets.io/v1alpha1/namespaces/{namespace}/notebooksessions/{name}")
            .path("patch");
    assertThat(patch.path("parameters").toString()).contains("\"fieldValidation\"");
    assertThat(get("/openapi/v2", null).statusCode()).isEqualTo(404);
    JsonNode core = JSON.readTree(get("/openapi/v3/api/v1", null).body());
    assertThat(
            core.path("components")
                .path("schemas")
                .path("io.fabric8.kubernetes.api.model.Container")
                .path("properties")
                .has("volumeMounts"))
        .isTrue();
  }

  @Test
  void fieldSelectorsWorkOnAnyFieldAndListsHaveTheirKind() throws Exception {
    for (String name : List.of("a", "b")) {
      client
          .v1()
          .events()
          .inNamespace("t")
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName("ev-" + name)
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withKind("Pod")
                  .withName(name)
                  .withNamespace("t")
                  .endInvolvedObject()
                  .withReason("Tested")
                  .build())
          .create();
    }
    var found =
        client
            .v1()
            .events()
            .inNamespace("t")
            .withField("involvedObject.name", "b")
            .list()
            .getItems();
    assertThat(found).extracting(e -> e.getMetadata().getName()).containsExactly("ev-b");
    JsonNode list =
        JSON.readTree(
            get(
                    "/api/v1/namespaces/t/events?fieldSelector=involvedObject.kind%3DPod,reason!%3DOther",
                    null)
                .body());
    assertThat(list.path("kind").asText()).isEqualTo("EventList");
    assertThat(list.path("items")).hasSize(2);
  }

  /**
   * The Fabric8 client watches over a WebSocket, where the mock matched field selectors only on
   * metadata: an informer selecting Events by reason got nothing after its list.
   */
  @Test
  void aWebSocketWatchSelectsByAnyFieldLikeAList() throws Exception {
    java.util.function.BiFunction<String, String, io.fabric8.kubernetes.api.model.Event> event =
        (name, reason) ->
            client
                .v1()
                .events()
                .inNamespace("w")
                .resource(
                    new EventBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .withNewInvolvedObject()
                        .withKind("Pod")
                        .withName("p-0")
                        .withNamespace("w")
                        .endInvolvedObject()
                        .withReason(reason)
                        .withCount(1)
                        .build())
                .create();
    event.apply("ws-listed", "WsSelected");
    var seen = new java.util.concurrent.CopyOnWriteArrayList<String>();
    var informer =
        client
            .v1()
            .events()
            .inNamespace("w")
            .withField("reason", "WsSelected")
            .withField("involvedObject.kind", "Pod")
            .inform(
                new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
                  @Override
                  public void onAdd(io.fabric8.kubernetes.api.model.Event e) {
                    seen.add("added " + e.getMetadata().getName());
                  }

                  @Override
                  public void onUpdate(
                      io.fabric8.kubernetes.api.model.Event old,
                      io.fabric8.kubernetes.api.model.Event e) {
                    seen.add("updated " + e.getMetadata().getName() + " " + e.getCount());
                  }

                  @Override
                  public void onDelete(io.fabric8.kubernetes.api.model.Event e, boolean unknown) {
                    seen.add("deleted " + e.getMetadata().getName());
                  }
                });
    try {
      event.apply("ws-other", "WsOther");
      var watched = event.apply("ws-watched", "WsSelected");
      watched.setCount(2);
      client.resource(watched).update();
      client.v1().events().inNamespace("w").withName("ws-listed").delete();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(seen)
                      .containsExactly(
                          "added ws-listed",
                          "added ws-watched",
                          "updated ws-watched 2",
                          "deleted ws-listed"));
      assertThat(informer.getStore().list())
          .extracting(e -> e.getMetadata().getName())
          .containsExactly("ws-watched");
    } finally {
      informer.close();
    }
  }

  @Test
  void tablesForKubectlGet() throws Exception {
    client
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("tbl")
                .withNamespace("t")
                .endMetadata()
                .addToData("k", "v")
                .build())
        .create();
    HttpResponse<String> r =
        get(
            "/api/v1/namespaces/t/configmaps?fieldSelector=metadata.name%3Dtbl",
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode table = JSON.readTree(r.body());
    assertThat(table.path("kind").asText()).isEqualTo("Table");
    assertThat(table.path("columnDefinitions").findValuesAsText("name"))
        .containsExactly("Name", "Data", "Age");
    JsonNode row = table.path("rows").get(0);
    assertThat(row.path("cells").get(0).asText()).isEqualTo("tbl");
    assertThat(row.path("cells").get(1).asInt()).isEqualTo(1);
    assertThat(row.path("object").path("kind").asText()).isEqualTo("PartialObjectMetadata");
  }

  @Test
  void mergePatchReplacesListsAndRemovesNulls() {
    NotebookSession s = new NotebookSession();
    s.getMetadata().setName("m");
    s.getMetadata().setNamespace("t");
    s.setSpec(new io.nbsecrets.model.NotebookSessionSpec());
    s.getSpec().setUser("u");
    s.getSpec().setImage("img");
    s.getSpec().setCommand(List.of("a", "b"));
    s.getSpec().setArgs(List.of("x"));
    client.resource(s).create();
    NotebookSession patched =
        client
            .resources(NotebookSession.class)
            .inNamespace("t")
            .withName("m")
            .patch(
                PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"command\":[\"c\"],\"args\":null}}");
    assertThat(patched.getSpec().getCommand()).containsExactly("c");
    assertThat(patched.getSpec().getArgs()).isNullOrEmpty();
    assertThat(patched.getMetadata().getGeneration()).isEqualTo(2L);
  }

  @Test
  void strategicMergePatchMergesContainersByName() {
    client
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("p")
                .withNamespace("t")
                .addToFinalizers("x/one")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("a")
                .withImage("a:1")
                .addNewEnv()
                .withName("E")
                .withValue("1")
                .endEnv()
                .endContainer()
                .addNewContainer()
                .withName("b")
                .withImage("b:1")
                .endContainer()
                .endSpec()
                .build())
        .create();
    Pod p =
        client
            .pods()
            .inNamespace("t")
            .withName("p")
            .patch(
                PatchContext.of(PatchType.STRATEGIC_MERGE),
                "{\"metadata\":{\"finalizers\":[\"x/two\"]},\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
                    + "\"containers\":[{\"name\":\"b\",\"image\":\"b:2\"},{\"name\":\"a\",\"env\":[{\"name\":\"F\",\"value\":\"2\"}]}]}}");
    assertThat(p.getSpec().getContainers())
        .extracting(c -> c.getName() + "=" + c.getImage())
        .containsExactly("a=a:1", "b=b:2");
    assertThat(p.getSpec().getContainers().get(0).getEnv())
        .extracting(e -> e.getName())
        .containsExactly("E", "F");
    assertThat(p.getMetadata().getFinalizers()).containsExactly("x/one", "x/two");
    Pod q =
        client
            .pods()
            .inNamespace("t")
            .withName("p")
            .patch(
                PatchContext.of(PatchType.STRATEGIC_MERGE),
                "{\"spec\":{\"containers\":[{\"name\":\"b\",\"$patch\":\"delete\"}]}}");
    assertThat(q.getSpec().getContainers()).extracting(c -> c.getName()).containsExactly("a");
  }

  @Test
  void strictFieldValidationRejectsUnknownFieldsAndSchemaViolations() throws Exception {
    HttpResponse<String> unknown =
        send(
            "POST",
            "/api/v1/namespaces/t/configmaps?fieldValidation=Strict",
            "application/json",
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u\",\"colour\":\"red\"},\"data\":{}}");
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body())
        .contains("strict decoding error: unknown field \\\"metadata.colour\\\"");
    HttpResponse<String> invalid =
        send(
            "POST",
            "/apis/nbsecrets.io/v1alpha1/namespaces/t/notebooksessions?fieldValidation=Strict",
            "application/json",
            "{\"apiVersion\":\"nbsecrets.io/v1alpha1\",\"kind\":\"NotebookSession\",\"metadata\":{\"name\":\"i\"},"
                + "\"spec\":{\"image\":\"x\",\"secrets\":{\"items\":[{\"name\":\"has space\"}]}}}");
    assertThat(invalid.statusCode()).isEqualTo(422);
    JsonNode status = JSON.readTree(invalid.body());
    assertThat(status.path("reason").asText()).isEqualTo("Invalid");
    assertThat(status.path("details").path("causes").findValuesAsText("field"))
        .containsExactlyInAnyOrder("spec.user", "spec.secrets.items[0].name");
    // Without fieldValidation (the Fabric8 clients) objects are stored as sent, as before.
    HttpResponse<String> lenient =
        send(
            "POST",
            "/api/v1/namespaces/t/configmaps",
            "application/json",
            "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"lenient\"}}");
    assertThat(lenient.statusCode()).isEqualTo(201);
  }

  @Test
  void errorsAreKubernetesStatuses() throws Exception {
    HttpResponse<String> missing = get("/api/v1/namespaces/t/secrets/none", null);
    assertThat(missing.statusCode()).isEqualTo(404);
    JsonNode s = JSON.readTree(missing.body());
    assertThat(s.path("reason").asText()).isEqualTo("NotFound");
    assertThat(s.path("message").asText()).isEqualTo("secrets \"none\" not found");
    String cm = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"twice\"}}";
    send("POST", "/api/v1/namespaces/t/configmaps", "application/json", cm);
    HttpResponse<String> again =
        send("POST", "/api/v1/namespaces/t/configmaps", "application/json", cm);
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(JSON.readTree(again.body()).path("reason").asText()).isEqualTo("AlreadyExists");
    assertThat(get("/api/v1/namespaces/t/pods/p/log", null).statusCode()).isEqualTo(404);
  }

  @Test
  void httpWatchesStreamChangesAfterTheResourceVersion() throws Exception {
    String rv = client.configMaps().inNamespace("t").list().getMetadata().getResourceVersion();
    CompletableFuture<HttpResponse<Stream<String>>> response =
        HTTP.sendAsync(
            HttpRequest.newBuilder(
                    URI.create(
                        url(
                            "/api/v1/namespaces/t/configmaps?watch=true&resourceVersion="
                                + rv
                                + "&timeoutSeconds=30")))
                .build(),
            HttpResponse.BodyHandlers.ofLines());
    // The status line and headers arrive before any event, as from an API server.
    HttpResponse<Stream<String>> r = response.get(10, TimeUnit.SECONDS);
    assertThat(r.statusCode()).isEqualTo(200);
    Iterator<String> lines = r.body().iterator();
    client
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("w1")
                .withNamespace("t")
                .endMetadata()
                .build())
        .create();
    ConfigMap w1 =
        client
            .configMaps()
            .inNamespace("t")
            .withName("w1")
            .edit(
                c -> {
                  c.setData(Map.of("k", "v"));
                  return c;
                });
    client.resource(w1).delete();
    List<String> types = new java.util.ArrayList<>();
    while (types.size() < 3 && lines.hasNext()) {
      JsonNode event = JSON.readTree(lines.next());
      assertThat(event.path("object").path("metadata").path("name").asText()).isEqualTo("w1");
      types.add(event.path("type").asText());
    }
    assertThat(types).containsExactly("ADDED", "MODIFIED", "DELETED");
    r.body().close();

    HttpResponse<String> watchList =
        get(
            "/api/v1/namespaces/t/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
            null);
    assertThat(watchList.statusCode()).isEqualTo(422);
  }

  @Test
  void protobufBodiesOfKubectlGeneratorsAreRead() {
    // kubectl create namespace carol, as client-go encodes it.
    byte[] body =
        HexFormat.of()
            .parseHex(
                "6b3873000a0f0a02763112094e616d657370616365121d0a150a056361726f6c12001a0022002a00"
                    + "32003800420012001a020a001a002200");
    JsonNode ns = Protobuf.decode(body);
    assertThat(ns.path("kind").asText()).isEqualTo("Namespace");
    assertThat(ns.path("metadata").path("name").asText()).isEqualTo("carol");
  }

  @Test
  void patchesUnit() throws Exception {
    JsonNode merged =
        Patches.mergePatch(
            JSON.readTree("{\"a\":{\"b\":1,\"c\":[1,2]},\"d\":1}"),
            JSON.readTree("{\"a\":{\"c\":[3],\"b\":null},\"e\":2}"));
    assertThat(merged.toString()).isEqualTo("{\"a\":{\"c\":[3]},\"d\":1,\"e\":2}");
    JsonNode smp =
        Patches.strategicMerge(
            JSON.readTree(
                "{\"spec\":{\"volumes\":[{\"name\":\"x\",\"emptyDir\":{}}],\"strategy\":{\"type\":\"A\",\"rollingUpdate\":{\"m\":1}}},\"metadata\":{\"finalizers\":[\"f1\",\"f2\"]}}"),
            JSON.readTree(
                "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"B\"}},\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"f1\"]}}"));
    assertThat(smp.toString())
        .isEqualTo(
            "{\"spec\":{\"volumes\":[{\"name\":\"x\",\"emptyDir\":{}}],\"strategy\":{\"type\":\"B\"}},\"metadata\":{\"finalizers\":[\"f2\"]}}");
    assertThat(Tables.humanDuration(Duration.ofSeconds(119))).isEqualTo("119s");
    assertThat(Tables.humanDuration(Duration.ofMinutes(7).plusSeconds(5))).isEqualTo("7m5s");
    assertThat(Tables.humanDuration(Duration.ofHours(50))).isEqualTo("2d2h");
    JsonNode obj =
        JSON.readTree(
            "{\"status\":{\"conditions\":[{\"type\":\"A\",\"status\":\"False\"},{\"type\":\"Ready\",\"status\":\"True\"}]}}");
    assertThat(
            Tables.jsonPathCell(obj, ".status.conditions[?(@.type==\"Ready\")].status", "string"))
        .isEqualTo("True");
    assertThat(Tables.jsonPathCell(obj, ".status.missing", "string")).isNull();
  }
}
