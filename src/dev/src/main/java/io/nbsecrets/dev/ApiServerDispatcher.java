package io.nbsecrets.dev;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.VersionInfo;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import io.fabric8.mockwebserver.internal.MockDispatcher;
import io.fabric8.mockwebserver.internal.SimpleRequest;
import io.fabric8.zjsonpatch.JsonPatch;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request handling of the dev mode's embedded Kubernetes API server: the Fabric8 mock server's
 * CRUD store and expectations, plus what the real kubectl needs and the mock lacks.
 *
 * <ul>
 *   <li>Discovery ({@code /api}, {@code /api/v1}, {@code /apis}, {@code /apis/<g>}, {@code
 *       /apis/<g>/<v>}) in the legacy form (kubectl 1.37 asks for aggregated discovery first and
 *       reads these when the answer is plain {@code application/json}), {@code /version}, and the
 *       OpenAPI v3 documents ({@link OpenApi}); {@code /openapi/v2} is 404, as kubectl tolerates.
 *   <li>Lists as {@code <Kind>List} with label and field selectors on any field (the mock indexes
 *       only labels, name and namespace), and Tables for {@code kubectl get} ({@link Tables}).
 *   <li>Watches over plain HTTP, which client-go uses and the mock cannot stream: streamed by
 *       {@link StreamingMockWebServer} from the {@link WatchLog}, from the requested resource
 *       version on, until {@code timeoutSeconds}. (Behind a server that cannot stream, the answer
 *       is the changes so far, or a bookmark held back one second, so that a client-go reflector
 *       re-watches about once a second.) {@code sendInitialEvents} is refused the way an API server
 *       without the WatchList feature refuses it, so reflectors list first.
 *   <li>JSON merge patch, strategic merge patch and (simplified) server-side apply ({@link
 *       Patches}), applied here and stored with an optimistic-concurrency update.
 *   <li>Field validation for writes that ask for it ({@code fieldValidation=Strict|Warn|Ignore},
 *       which kubectl always sends): unknown fields rejected, warned about or dropped; for custom
 *       resources also the CRD's value constraints ({@link SchemaCheck}).
 *   <li>Kubernetes-shaped errors ({@code NotFound}, {@code AlreadyExists}, {@code Conflict}) and
 *       {@code Content-Type: application/json} on JSON answers.
 * </ul>
 *
 * Requests of the Fabric8 clients (the operator's, the stand-ins', the tests') go through the same
 * paths, except WebSocket watches and JSON patches, which stay with the mock as before.
 */
public final class ApiServerDispatcher extends Dispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(ApiServerDispatcher.class);

  /** What {@code /version} says: the Kubernetes release whose API this imitates. */
  public static final String GIT_VERSION = "v1.37.0+nbsecrets-dev";

  /** How long a watch with nothing to report is held back before it is answered. */
  static final Duration EMPTY_WATCH_DELAY = Duration.ofSeconds(1);

  private static final String JSON = "application/json";

  private final Map<ServerRequest, Queue<ServerResponse>> responses;
  private final MockDispatcher expectations;
  private final WatchLog log = new WatchLog(20_000);
  private final RecordingCrud crud = new RecordingCrud(log);
  private final ObjectMapper json = new ObjectMapper();
  private final ObjectMapper strictJson =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private final KubernetesSerialization serialization = new KubernetesSerialization();

  /** The mock's CRUD store, recording every change in the watch log. */
  static final class RecordingCrud extends KubernetesCrudDispatcher {
    private final WatchLog log;
    private final ObjectMapper json = new ObjectMapper();

    RecordingCrud(WatchLog log) {
      this.log = log;
    }

    @Override
    public void processEvent(
        String path,
        AttributeSet pathAttributes,
        AttributeSet oldAttributes,
        GenericKubernetesResource resource,
        String newState) {
      // Called with the store's write lock held: resource versions are allocated in log order.
      String existing = oldAttributes == null ? null : map.get(oldAttributes);
      super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
      if (Objects.equals(existing, newState)) {
        return;
      }
      try {
        if (newState == null) {
          if (existing != null) {
            ObjectNode gone = (ObjectNode) json.readTree(existing);
            long rv = requestResourceVersion();
            metadata(gone).put("resourceVersion", Long.toString(rv));
            log.add("DELETED", gone, rv);
          }
        } else {
          JsonNode now = json.readTree(newState);
          long rv = now.path("metadata").path("resourceVersion").asLong(requestResourceVersion());
          log.add(existing == null ? "ADDED" : "MODIFIED", now, rv);
        }
      } catch (JsonProcessingException e) {
        LOG.debug("could not record a change of {}: {}", path, e.getMessage());
      }
    }
  }

  public ApiServerDispatcher(Map<ServerRequest, Queue<ServerResponse>> responses) {
    this.responses = responses;
    this.expectations = new MockDispatcher(responses);
  }

  /**
   * A mock API server in CRUD mode with this dispatcher: explicit expectations (such as {@link
   * FakeTokenAuthority#install}'s) take precedence over the store, as with {@link
   * FakeTokenAuthority#newMockServer()}, and kubectl can use it. Plain HTTP.
   */
  public static KubernetesMockServer newMockServer() {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    ObjectMapper mapper = new ObjectMapper();
    new KubernetesSerialization(mapper, true);
    return new KubernetesMockServer(
        new Context(mapper),
        new StreamingMockWebServer(),
        responses,
        new ApiServerDispatcher(responses),
        false,
        versionInfo());
  }

  static VersionInfo versionInfo() {
    return new VersionInfo.Builder()
        .withMajor("1")
        .withMinor("37")
        .withGitVersion(GIT_VERSION)
        .withGitCommit("")
        .withGitTreeState("clean")
        .withGoVersion("")
        .withCompiler("nbsecrets-dev")
        .withPlatform(platform())
        .build();
  }

  /** {@code GET /version}: version.Info. */
  private ObjectNode version() {
    ObjectNode v = json.createObjectNode();
    v.put("major", "1");
    v.put("minor", "37");
    v.put("emulationMajor", "1");
    v.put("emulationMinor", "37");
    v.put("minCompatibilityMajor", "1");
    v.put("minCompatibilityMinor", "36");
    v.put("gitVersion", GIT_VERSION);
    v.put("gitCommit", "");
    v.put("gitTreeState", "clean");
    v.put("buildDate", "1970-01-01T00:00:00Z");
    v.put("goVersion", "");
    v.put("compiler", "nbsecrets-dev");
    v.put("platform", platform());
    return v;
  }

  private static String platform() {
    String arch = System.getProperty("os.arch", "amd64");
    return System.getProperty("os.name", "linux").toLowerCase(Locale.ROOT)
        + "/"
        + (arch.equals("x86_64") ? "amd64" : arch.equals("aarch64") ? "arm64" : arch);
  }

  @Override
  public void shutdown() {
    expectations.shutdown();
    crud.shutdown();
  }

  // ------------------------------------------------------------------------------ requests

  /** A request, its path split from its decoded query. */
  private record Req(RecordedRequest raw, String method, String path, Map<String, String> query) {
    String param(String name) {
      return query.get(name);
    }

    String header(String name) {
      return raw.getHeader(name);
    }

    boolean acceptsTable() {
      String accept = header("Accept");
      return accept != null && accept.contains("as=Table");
    }

    String body() {
      return raw.getBody() == null
          ? ""
          : new String(raw.getBody().getBytes(), StandardCharsets.UTF_8);
    }
  }

  /** An error answered as a Kubernetes Status. */
  private static final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int code;
    final String reason;
    final transient ObjectNode details;

    ApiError(int code, String reason, String message) {
      this(code, reason, message, null);
    }

    ApiError(int code, String reason, String message, ObjectNode details) {
      super(message, null, false, false);
      this.code = code;
      this.reason = reason;
      this.details = details;
    }
  }

  private static Req parse(RecordedRequest raw) {
    String full = raw.getPath() == null ? "/" : raw.getPath();
    int q = full.indexOf('?');
    String path = q < 0 ? full : full.substring(0, q);
    Map<String, String> query = new LinkedHashMap<>();
    if (q >= 0) {
      for (String pair : full.substring(q + 1).split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        query.put(k, v);
      }
    }
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return new Req(raw, raw.getMethod(), path, query);
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    try {
      return withContentType(route(parse(request), request));
    } catch (ApiError e) {
      ObjectNode status = statusNode(e.code, e.reason, e.getMessage());
      if (e.details != null) {
        status.set("details", e.details);
      }
      return json(e.code, status);
    } catch (RuntimeException e) {
      LOG.warn("embedded API server: {} failed: {}", request, e.toString());
      return status(500, "InternalError", "an error on the server (" + e + ")");
    }
  }

  private MockResponse route(Req req, RecordedRequest raw) {
    String path = req.path();
    if (req.method().equals("GET")) {
      MockResponse meta = metadataPaths(req, path);
      if (meta != null) {
        return meta;
      }
    }
    Queue<ServerResponse> expected =
        responses.get(new SimpleRequest(HttpMethod.valueOf(req.method()), raw.getPath()));
    if (expected != null && !expected.isEmpty()) {
      return expectations.dispatch(raw);
    }
    ResourcePath rp = ResourcePath.parse(path);
    if (rp == null) {
      return crud.dispatch(raw);
    }
    ApiResources resources = resources();
    ApiResources.Resource r = resources.find(rp.group(), rp.version(), rp.plural()).orElse(null);
    if (r == null) {
      // As an API server answers for a type it does not serve (such as authorization.k8s.io,
      // which kubectl auth can-i asks).
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    }
    if ("scale".equals(rp.subresource())) {
      return crud.dispatch(raw);
    }
    if (rp.subresource() != null && !("status".equals(rp.subresource()) && r.statusSubresource())) {
      // pods/log, pods/exec, serviceaccounts/token...: nothing behind them here.
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    }
    return switch (req.method()) {
      case "GET" -> {
        if (isWatch(req)) {
          if (!isWebSocket(req)) {
            yield watch(req, r, rp);
          }
          // The mock matches a watch's field selector only against metadata: one on any other
          // field (an Event's reason) would send nothing.
          yield req.param("fieldSelector") == null
              ? crud.dispatch(raw)
              : webSocketWatch(req, r, rp);
        }
        yield rp.name() == null ? list(req, r, rp) : get(req, r, rp);
      }
      case "POST" -> create(req, r, rp);
      case "PUT" -> update(req, r, rp);
      case "PATCH" -> patch(req, r, rp);
      case "DELETE" -> rp.name() == null ? deleteCollection(req, r, rp) : delete(req, r, rp);
      default -> crud.dispatch(raw);
    };
  }

  private MockResponse metadataPaths(Req req, String path) {
    switch (path) {
      case "/version":
        return json(200, version());
      case "/healthz", "/readyz", "/livez":
        return new MockResponse()
            .setResponseCode(200)
            .setHeader("Content-Type", "text/plain")
            .setBody("ok");
      case "/":
        {
          ObjectNode root = json.createObjectNode();
          ArrayNode paths = root.putArray("paths");
          paths.add("/api").add("/api/v1").add("/apis");
          resources()
              .groups()
              .forEach(
                  (g, vs) -> {
                    if (!g.isEmpty()) {
                      paths.add("/apis/" + g);
                      vs.forEach(v -> paths.add("/apis/" + g + "/" + v));
                    }
                  });
          paths.add("/healthz").add("/livez").add("/openapi/v3").add("/readyz").add("/version");
          return json(200, root);
        }
      case "/api":
        {
          String host = req.header("Host");
          return json(200, resources().apiVersions(json, host == null ? "127.0.0.1" : host));
        }
      case "/apis":
        return json(200, resources().apiGroupList(json));
      case "/api/v1":
        return json(200, resources().apiResourceList(json, "", "v1"));
      case "/openapi/v3":
        return json(200, OpenApi.index(resources()));
      default:
        break;
    }
    if (path.startsWith("/openapi/v2")) {
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    }
    if (path.startsWith("/openapi/v3/")) {
      String[] s = path.substring("/openapi/v3/".length()).split("/");
      ApiResources resources = resources();
      if (s.length == 2 && s[0].equals("api") && resources.hasGroupVersion("", s[1])) {
        return json(200, OpenApi.document(resources, "", s[1]));
      }
      if (s.length == 3 && s[0].equals("apis") && resources.hasGroupVersion(s[1], s[2])) {
        return json(200, OpenApi.document(resources, s[1], s[2]));
      }
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    }
    if (path.startsWith("/apis/")) {
      String[] s = path.substring("/apis/".length()).split("/");
      ApiResources resources = resources();
      if (s.length == 1) {
        List<String> versions = resources.groups().get(s[0]);
        if (versions == null || s[0].isEmpty()) {
          throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }
        return json(200, resources.apiGroup(json, s[0], versions));
      }
      if (s.length == 2) {
        if (!resources.hasGroupVersion(s[0], s[1])) {
          throw new ApiError(404, "NotFound", "the server could not find the requested resource");
        }
        return json(200, resources.apiResourceList(json, s[0], s[1]));
      }
    }
    return null;
  }

  /** The declared types plus the custom resources of the CRDs in the store. */
  ApiResources resources() {
    MockResponse r = crud.handleGet("/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
    List<JsonNode> crds = new ArrayList<>();
    try {
      readTree(r).path("items").forEach(crds::add);
    } catch (RuntimeException e) {
      LOG.debug("could not read the CRDs: {}", e.getMessage());
    }
    return ApiResources.of(crds);
  }

  private static boolean isWatch(Req req) {
    String w = req.param("watch");
    return w != null && (w.equals("true") || w.equals("1"));
  }

  private static boolean isWebSocket(Req req) {
    String upgrade = req.header("Upgrade");
    return upgrade != null && upgrade.equalsIgnoreCase("websocket");
  }

  // ------------------------------------------------------------------------------ reading

  /** Objects of a collection, filtered, and the store's resource version. */
  private record Listing(List<JsonNode> items, String resourceVersion) {}

  private Listing listObjects(ApiResources.Resource r, ResourcePath rp, Req req) {
    Predicate<JsonNode> selected = selectors(req);
    JsonNode list = readTree(crud.handleGet(rp.collectionPath()));
    List<JsonNode> items = new ArrayList<>();
    for (JsonNode item : list.path("items")) {
      if (sameKind(r, item)
          && (rp.name() == null || rp.name().equals(item.path("metadata").path("name").asText()))
          && selected.test(item)) {
        items.add(item);
      }
    }
    return new Listing(items, list.path("metadata").path("resourceVersion").asText(""));
  }

  /** The request's field and label selectors, both: a malformed one is a bad request. */
  private static Predicate<JsonNode> selectors(Req req) {
    try {
      Selectors.Selector fields = Selectors.fields(req.param("fieldSelector"));
      Selectors.Selector labels = Selectors.labels(req.param("labelSelector"));
      return o -> fields.matches(o) && labels.matches(o);
    } catch (IllegalArgumentException e) {
      throw new ApiError(400, "BadRequest", e.getMessage());
    }
  }

  private static boolean sameKind(ApiResources.Resource r, JsonNode item) {
    return r.kind().equals(item.path("kind").asText(r.kind()))
        && r.groupVersion().equals(item.path("apiVersion").asText(r.groupVersion()));
  }

  private MockResponse list(Req req, ApiResources.Resource r, ResourcePath rp) {
    Listing l = listObjects(r, rp, req);
    if (req.acceptsTable()) {
      return json(
          200, Tables.table(r, l.items(), l.resourceVersion(), req.param("includeObject"), true));
    }
    ObjectNode out = json.createObjectNode();
    out.put("apiVersion", r.groupVersion());
    out.put("kind", r.kind() + "List");
    out.putObject("metadata").put("resourceVersion", l.resourceVersion());
    ArrayNode items = out.putArray("items");
    l.items().forEach(items::add);
    return json(200, out);
  }

  private JsonNode current(ApiResources.Resource r, ResourcePath rp) {
    MockResponse resp = crud.handleGet(rp.objectPath());
    if (resp.code() == 404 || resp.getBody() == null || resp.getBody().size() == 0) {
      throw notFound(r, rp.name());
    }
    return readTree(resp);
  }

  private MockResponse get(Req req, ApiResources.Resource r, ResourcePath rp) {
    JsonNode object = current(r, rp);
    if (req.acceptsTable()) {
      return json(
          200,
          Tables.table(
              r,
              List.of(object),
              object.path("metadata").path("resourceVersion").asText(null),
              req.param("includeObject"),
              true));
    }
    return json(200, object);
  }

  // ------------------------------------------------------------------------------ watches

  /** Ends WebSocket watches when their {@code timeoutSeconds} is up. */
  private static final ScheduledExecutorService WATCH_TIMEOUTS =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "embedded-api-watch-timeouts");
            t.setDaemon(true);
            return t;
          });

  /** What a watch sends: its kind, namespace, name and selectors. */
  private static Predicate<JsonNode> watched(Req req, ApiResources.Resource r, ResourcePath rp) {
    if ("true".equals(req.param("sendInitialEvents"))) {
      throw new ApiError(
          422,
          "Invalid",
          "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents"
              + " is forbidden for watch unless the WatchList feature gate is enabled");
    }
    Predicate<JsonNode> selected = selectors(req);
    return o ->
        sameKind(r, o)
            && (rp.namespace() == null
                || rp.namespace().equals(o.path("metadata").path("namespace").asText()))
            && (rp.name() == null || rp.name().equals(o.path("metadata").path("name").asText()))
            && selected.test(o);
  }

  /**
   * Where a watch starts: without a resource version, from a list (its objects sent as additions
   * first); with one, after it.
   */
  private record WatchStart(List<JsonNode> listed, long since) {}

  private WatchStart watchStart(Req req, ApiResources.Resource r, ResourcePath rp) {
    String from = req.param("resourceVersion");
    if (from == null || from.isEmpty() || from.equals("0")) {
      Listing l = listObjects(r, rp, req);
      return new WatchStart(l.items(), parseLong(l.resourceVersion(), 0));
    }
    try {
      return new WatchStart(List.of(), Long.parseLong(from));
    } catch (NumberFormatException e) {
      throw new ApiError(400, "BadRequest", "invalid resource version \"" + from + "\"");
    }
  }

  /**
   * A watch over a WebSocket, as the Fabric8 client asks for one: each event a text message, from
   * the watch log, selected as {@link #watch} selects them.
   */
  private MockResponse webSocketWatch(Req req, ApiResources.Resource r, ResourcePath rp) {
    Predicate<JsonNode> matches = watched(req, r, rp);
    WatchStart start = watchStart(req, r, rp);
    long since = start.since();
    List<String> initial = new ArrayList<>();
    start.listed().forEach(item -> initial.add(watchEvent("ADDED", item, r, req, false)));
    long timeout = parseLong(req.param("timeoutSeconds"), 1800);
    return new MockResponse()
        .withWebSocketUpgrade(
            new WebSocketListener() {
              private volatile Runnable stop = () -> {};

              @Override
              public void onOpen(WebSocket socket, Response response) {
                try {
                  initial.forEach(socket::send);
                  Runnable subscribed =
                      log.subscribe(
                          since,
                          e -> {
                            if (matches.test(e.object())
                                && !socket.send(watchEvent(e.type(), e.object(), r, req, false))) {
                              throw new IllegalStateException("the watcher went away");
                            }
                          });
                  if (subscribed == null) {
                    socket.send(expired(since));
                    socket.close(1000, "");
                    return;
                  }
                  // As an API server ends a watch after its timeout; the client watches again.
                  ScheduledFuture<?> ends =
                      WATCH_TIMEOUTS.schedule(
                          () -> {
                            subscribed.run();
                            socket.close(1000, "");
                          },
                          timeout,
                          TimeUnit.SECONDS);
                  stop =
                      () -> {
                        ends.cancel(false);
                        subscribed.run();
                      };
                } catch (RuntimeException e) {
                  stop.run();
                  socket.close(1011, "watch failed");
                }
              }

              @Override
              public void onClosing(WebSocket socket, int code, String reason) {
                stop.run();
                socket.close(code, reason);
              }

              @Override
              public void onClosed(WebSocket socket, int code, String reason) {
                stop.run();
              }

              @Override
              public void onFailure(WebSocket socket, Throwable t, Response response) {
                stop.run();
              }
            });
  }

  private MockResponse watch(Req req, ApiResources.Resource r, ResourcePath rp) {
    Predicate<JsonNode> matches = watched(req, r, rp);
    boolean table = req.acceptsTable();
    WatchStart start = watchStart(req, r, rp);
    long since = start.since();
    List<String> initial = new ArrayList<>();
    start.listed().forEach(item -> initial.add(watchEvent("ADDED", item, r, req, table)));
    long timeout = parseLong(req.param("timeoutSeconds"), 1800);
    StreamingMockWebServer.WatchStream stream =
        new StreamingMockWebServer.WatchStream(
            sink -> {
              initial.forEach(sink::send);
              Runnable stop =
                  log.subscribe(
                      since,
                      e -> {
                        if (matches.test(e.object())
                            && !sink.send(watchEvent(e.type(), e.object(), r, req, table))) {
                          throw new IllegalStateException("the watcher went away");
                        }
                      });
              if (stop == null) {
                sink.send(expired(since));
                sink.end();
                return () -> {};
              }
              return stop;
            },
            timeout);
    // What a server that cannot stream sends instead: the changes so far, or (held back) nothing.
    List<String> lines = new ArrayList<>(initial);
    List<WatchLog.Event> events = log.since(since);
    if (events == null) {
      lines.add(expired(since));
    } else {
      for (WatchLog.Event e : events) {
        if (matches.test(e.object())) {
          lines.add(watchEvent(e.type(), e.object(), r, req, table));
        }
      }
    }
    boolean changes = !lines.isEmpty();
    if ("true".equals(req.param("allowWatchBookmarks")) && !table && events != null) {
      ObjectNode object = json.createObjectNode();
      object.put("kind", r.kind());
      object.put("apiVersion", r.groupVersion());
      object
          .putObject("metadata")
          .put("resourceVersion", Long.toString(Math.max(since, log.latest())));
      ObjectNode event = json.createObjectNode().put("type", "BOOKMARK");
      event.set("object", object);
      lines.add(event.toString());
    }
    stream.setResponseCode(200);
    stream.setHeader("Content-Type", JSON);
    stream.setBody(lines.isEmpty() ? "\n" : String.join("\n", lines) + "\n");
    if (!changes) {
      stream.setBodyDelay(EMPTY_WATCH_DELAY);
    }
    return stream;
  }

  private String expired(long since) {
    ObjectNode gone =
        statusNode(
            410, "Expired", "too old resource version: " + since + " (" + log.oldest() + ")");
    ObjectNode event = json.createObjectNode().put("type", "ERROR");
    event.set("object", gone);
    return event.toString();
  }

  private String watchEvent(
      String type, JsonNode object, ApiResources.Resource r, Req req, boolean table) {
    ObjectNode event = json.createObjectNode().put("type", type);
    event.set(
        "object",
        table
            ? Tables.table(
                r,
                List.of(object),
                object.path("metadata").path("resourceVersion").asText(null),
                req.param("includeObject"),
                true)
            : object);
    return event.toString();
  }

  private static long parseLong(String s, long otherwise) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }

  // ------------------------------------------------------------------------------ writing

  private MockResponse create(Req req, ApiResources.Resource r, ResourcePath rp) {
    ObjectNode object = readBody(req);
    String name = object.path("metadata").path("name").asText("");
    List<String> warnings = validate(req, r, object, name);
    // Defaults the API server applies (and the namespace controller, for the phase).
    if (r.group().isEmpty() && r.kind().equals("Namespace") && !object.has("status")) {
      object.putObject("status").put("phase", "Active");
    }
    if (r.group().isEmpty()
        && r.kind().equals("Secret")
        && object.path("type").asText("").isEmpty()) {
      object.put("type", "Opaque");
    }
    if (isDryRun(req)) {
      ObjectNode meta = metadata(object);
      if (rp.namespace() != null) {
        meta.put("namespace", rp.namespace());
      }
      // Like the API server, a dry run answers as the real request would: 409 when it exists.
      MockResponse existing =
          crud.handleGet(
              new ResourcePath(r.group(), r.version(), rp.namespace(), r.plural(), name, null)
                  .objectPath());
      if (existing.code() == 200 && existing.getBody() != null && existing.getBody().size() > 0) {
        return status(409, "AlreadyExists", r.groupResource() + " \"" + name + "\" already exists");
      }
      return withWarnings(json(201, object), warnings);
    }
    MockResponse resp =
        crud.handleCreate(rewrite(req, "POST", rp.collectionPath(), object.toString()));
    return withWarnings(fromStore(resp, r, name, true), warnings);
  }

  private MockResponse update(Req req, ApiResources.Resource r, ResourcePath rp) {
    ObjectNode object = readBody(req);
    List<String> warnings = validate(req, r, object, rp.name());
    if (isDryRun(req)) {
      return withWarnings(json(200, object), warnings);
    }
    MockResponse resp = crud.handleUpdate(rewrite(req, "PUT", rp.path(), object.toString()));
    return withWarnings(fromStore(resp, r, rp.name(), false), warnings);
  }

  private MockResponse patch(Req req, ApiResources.Resource r, ResourcePath rp) {
    String type = mediaType(req.header("Content-Type"));
    switch (type) {
      case "application/json-patch+json":
        {
          if (req.param("fieldValidation") != null) {
            try {
              JsonNode patched = JsonPatch.apply(readTree(req.body()), current(r, rp));
              if (patched.isObject()) {
                validate(req, r, (ObjectNode) patched, rp.name());
              }
            } catch (ApiError e) {
              throw e;
            } catch (RuntimeException e) {
              throw new ApiError(
                  422, "Invalid", "the JSON patch could not be applied: " + e.getMessage());
            }
          }
          if (isDryRun(req)) {
            return json(200, current(r, rp));
          }
          MockResponse resp = crud.handlePatch(rewrite(req, "PATCH", rp.path(), req.body()));
          return fromStore(resp, r, rp.name(), false);
        }
      case "application/merge-patch+json",
      "application/strategic-merge-patch+json",
      "application/apply-patch+yaml":
        break;
      default:
        throw new ApiError(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include:"
                + " application/json-patch+json, application/merge-patch+json,"
                + " application/apply-patch+yaml"
                + (r.custom() ? "" : ", application/strategic-merge-patch+json"));
    }
    if (type.equals("application/strategic-merge-patch+json") && r.custom()) {
      throw new ApiError(
          415,
          "UnsupportedMediaType",
          "the body of the request was in an unknown format - accepted media types include:"
              + " application/json-patch+json, application/merge-patch+json,"
              + " application/apply-patch+yaml");
    }
    JsonNode patch =
        type.equals("application/apply-patch+yaml") ? readYaml(req.body()) : readTree(req.body());
    if (!patch.isObject()) {
      throw new ApiError(400, "BadRequest", "the patch must be a JSON object");
    }
    String pinned = patch.path("metadata").path("resourceVersion").asText("");
    for (int attempt = 0; ; attempt++) {
      JsonNode current;
      try {
        current = current(r, rp.main());
      } catch (ApiError e) {
        if (e.code == 404
            && type.equals("application/apply-patch+yaml")
            && rp.subresource() == null) {
          // Server-side apply creates what does not exist yet.
          ObjectNode created = ((ObjectNode) patch).deepCopy();
          metadata(created).put("name", rp.name());
          return create(withBody(req, created), r, rp.collection());
        }
        throw e;
      }
      JsonNode merged =
          switch (type) {
            case "application/merge-patch+json" -> Patches.mergePatch(current, patch);
            case "application/apply-patch+yaml" ->
                r.custom()
                    ? Patches.mergePatch(current, patch)
                    : Patches.strategicMerge(current, patch);
            default -> Patches.strategicMerge(current, patch);
          };
      if (!merged.isObject()) {
        throw new ApiError(422, "Invalid", "the patched object is not an object");
      }
      ObjectNode object = (ObjectNode) merged;
      if (pinned.isEmpty()) {
        metadata(object)
            .put("resourceVersion", current.path("metadata").path("resourceVersion").asText());
      }
      List<String> warnings = validate(req, r, object, rp.name());
      if (isDryRun(req)) {
        return withWarnings(json(200, object), warnings);
      }
      MockResponse resp = crud.handleUpdate(rewrite(req, "PUT", rp.path(), object.toString()));
      if (resp.code() == 409 && pinned.isEmpty() && attempt < 5) {
        continue; // someone else wrote in between: patch the newer object
      }
      return withWarnings(fromStore(resp, r, rp.name(), false), warnings);
    }
  }

  private MockResponse delete(Req req, ApiResources.Resource r, ResourcePath rp) {
    if (isDryRun(req)) {
      return json(200, current(r, rp));
    }
    MockResponse resp = crud.handleDelete(rp.objectPath());
    if (resp.code() == 404) {
      throw notFound(r, rp.name());
    }
    if (resp.getBody() == null || resp.getBody().size() == 0) {
      return json(200, statusNode(200, null, null));
    }
    return fromStore(resp, r, rp.name(), false);
  }

  private MockResponse deleteCollection(Req req, ApiResources.Resource r, ResourcePath rp) {
    Listing l = listObjects(r, rp, req);
    ObjectNode out = json.createObjectNode();
    out.put("apiVersion", r.groupVersion());
    out.put("kind", r.kind() + "List");
    out.putObject("metadata").put("resourceVersion", l.resourceVersion());
    ArrayNode items = out.putArray("items");
    for (JsonNode item : l.items()) {
      String ns = item.path("metadata").path("namespace").asText(null);
      String name = item.path("metadata").path("name").asText();
      if (!isDryRun(req)) {
        crud.handleDelete(
            new ResourcePath(r.group(), r.version(), ns, r.plural(), name, null).objectPath());
      }
      items.add(item);
    }
    return json(200, out);
  }

  private static boolean isDryRun(Req req) {
    String d = req.param("dryRun");
    return d != null && !d.isEmpty();
  }

  /**
   * Field validation as the request asks ({@code fieldValidation}): Strict rejects unknown fields,
   * Warn reports them, both and Ignore drop them. Custom resources are also checked against their
   * schema's value constraints. Requests that do not ask (the Fabric8 clients) are stored as sent.
   * Returns the warnings.
   */
  private List<String> validate(Req req, ApiResources.Resource r, ObjectNode object, String name) {
    String mode = req.param("fieldValidation");
    if (mode == null) {
      return List.of();
    }
    try {
      if (!Protobuf.is(req.header("Content-Type"))) {
        strictJson.readTree(req.body());
      }
    } catch (JsonProcessingException e) {
      if (e.getMessage() != null
          && e.getMessage().startsWith("Duplicate field")
          && mode.equalsIgnoreCase("Strict")) {
        throw strictDecodingError(
            r,
            "duplicate field \""
                + e.getOriginalMessage().replace("Duplicate field ", "").replace("'", "")
                + "\"");
      }
    }
    Map<String, JsonNode> components = OpenApi.components(r);
    JsonNode schema = components.get(OpenApi.component(r));
    SchemaCheck.Findings f = new SchemaCheck(components, r.custom()).check(object, schema, true);
    if (mode.equalsIgnoreCase("Strict") && !f.unknown().isEmpty()) {
      List<String> parts = new ArrayList<>();
      f.unknown().forEach(u -> parts.add("unknown field \"" + u + "\""));
      throw strictDecodingError(r, String.join(", ", parts));
    }
    if (!f.invalid().isEmpty()) {
      String errors =
          f.invalid().size() == 1 ? f.invalid().get(0) : "[" + String.join(", ", f.invalid()) + "]";
      ObjectNode details = json.createObjectNode();
      details.put("name", name);
      details.put("group", r.group());
      details.put("kind", r.kind());
      ArrayNode causes = details.putArray("causes");
      for (String problem : f.invalid()) {
        int colon = problem.indexOf(": ");
        String message = problem.substring(colon + 2);
        causes
            .addObject()
            .put(
                "reason",
                message.startsWith("Required") ? "FieldValueRequired" : "FieldValueInvalid")
            .put("message", message)
            .put("field", problem.substring(0, colon));
      }
      throw new ApiError(
          422,
          "Invalid",
          r.kind()
              + (r.group().isEmpty() ? "" : "." + r.group())
              + " \""
              + name
              + "\" is invalid: "
              + errors,
          details);
    }
    List<String> warnings = new ArrayList<>();
    if (mode.equalsIgnoreCase("Warn")) {
      f.unknown().forEach(u -> warnings.add("unknown field \"" + u + "\""));
    }
    return warnings;
  }

  /** The API server's answer to a body that strict field validation refuses. */
  private static ApiError strictDecodingError(ApiResources.Resource r, String problems) {
    return new ApiError(
        400,
        "BadRequest",
        r.kind()
            + " in version \""
            + r.version()
            + "\" cannot be handled as a "
            + r.kind()
            + ": strict decoding error: "
            + problems);
  }

  private static ObjectNode metadata(ObjectNode object) {
    JsonNode m = object.get("metadata");
    return m instanceof ObjectNode o ? o : object.putObject("metadata");
  }

  // ------------------------------------------------------------------------------ answers

  /** The store's answer, with Kubernetes' status codes and reasons. */
  private MockResponse fromStore(
      MockResponse resp, ApiResources.Resource r, String name, boolean creating) {
    int code = resp.code();
    if (code / 100 == 2) {
      if (resp.getBody() == null || resp.getBody().size() == 0) {
        return json(code == 202 ? 200 : code, statusNode(200, null, null));
      }
      return json(code == 202 ? 200 : code, readTree(resp));
    }
    String what = r.groupResource() + " \"" + name + "\"";
    String message = null;
    try {
      message = readTree(resp).path("message").asText(null);
    } catch (RuntimeException e) {
      // no body
    }
    return switch (code) {
      case 404 -> throw notFound(r, name);
      case 409 ->
          creating
              ? status(409, "AlreadyExists", what + " already exists")
              : status(
                  409,
                  "Conflict",
                  "Operation cannot be fulfilled on "
                      + what
                      + ": the object has been modified; please apply your changes to the latest version and try again");
      case 400 -> status(400, "BadRequest", message == null ? "bad request" : message);
      case 415 ->
          status(415, "UnsupportedMediaType", message == null ? "unsupported media type" : message);
      default ->
          status(
              code,
              code == 422 ? "Invalid" : "InternalError",
              message == null ? "error " + code : message);
    };
  }

  private static ApiError notFound(ApiResources.Resource r, String name) {
    return new ApiError(404, "NotFound", r.groupResource() + " \"" + name + "\" not found");
  }

  private ObjectNode statusNode(int code, String reason, String message) {
    ObjectNode s = json.createObjectNode();
    s.put("kind", "Status");
    s.put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", code / 100 == 2 ? "Success" : "Failure");
    if (message != null) {
      s.put("message", message);
    }
    if (reason != null) {
      s.put("reason", reason);
    }
    s.put("code", code);
    return s;
  }

  private MockResponse status(int code, String reason, String message) {
    return json(code, statusNode(code, reason, message));
  }

  private static MockResponse json(int code, JsonNode body) {
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", JSON)
        .setBody(body.toString());
  }

  private static MockResponse withWarnings(MockResponse m, List<String> warnings) {
    for (String w : warnings) {
      m.addHeader("Warning", "299 - \"" + w.replace("\"", "\\\"") + "\"");
    }
    return m;
  }

  /** The mock's own answers carry no content type; client-go needs one to decode them. */
  private static MockResponse withContentType(MockResponse m) {
    if (m.getWebSocketListener() != null || m.header("Content-Type") != null) {
      return m;
    }
    Buffer body = m.getBody();
    if (body != null && body.size() > 0) {
      byte first = body.getBytes()[0];
      if (first == '{' || first == '[') {
        m.setHeader("Content-Type", JSON);
      }
    }
    return m;
  }

  private JsonNode readTree(MockResponse resp) {
    Buffer body = resp.getBody();
    return readTree(body == null ? "" : new String(body.getBytes(), StandardCharsets.UTF_8));
  }

  private JsonNode readTree(String text) {
    try {
      JsonNode n = json.readTree(text);
      return n == null ? json.createObjectNode() : n;
    } catch (JsonProcessingException e) {
      throw new ApiError(
          400, "BadRequest", "the body could not be decoded: " + e.getOriginalMessage());
    }
  }

  private JsonNode readYaml(String text) {
    try {
      return json.readTree(serialization.convertToJson(text));
    } catch (JsonProcessingException | RuntimeException e) {
      throw new ApiError(
          400, "BadRequest", "the body could not be decoded as YAML: " + e.getMessage());
    }
  }

  private ObjectNode readBody(Req req) {
    String ct = mediaType(req.header("Content-Type"));
    if (Protobuf.is(ct)) {
      try {
        return Protobuf.decode(req.raw().getBody().getBytes());
      } catch (IllegalArgumentException e) {
        throw new ApiError(415, "UnsupportedMediaType", e.getMessage());
      }
    }
    JsonNode n = ct.contains("yaml") ? readYaml(req.body()) : readTree(req.body());
    if (!n.isObject()) {
      throw new ApiError(400, "BadRequest", "the body must be a JSON object");
    }
    return (ObjectNode) n;
  }

  private static String mediaType(String contentType) {
    if (contentType == null) {
      return "";
    }
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi))
        .trim()
        .toLowerCase(Locale.ROOT);
  }

  private static RecordedRequest rewrite(Req req, String method, String path, String body) {
    Headers.Builder headers = req.raw().getHeaders().newBuilder();
    headers.set("Content-Type", method.equals("PATCH") ? req.header("Content-Type") : JSON);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    headers.set("Content-Length", Integer.toString(bytes.length));
    return new RecordedRequest(
        req.raw().getHttpVersion(),
        HttpMethod.valueOf(method),
        path,
        headers.build(),
        new Buffer(bytes));
  }

  private static Req withBody(Req req, ObjectNode body) {
    Headers.Builder headers = req.raw().getHeaders().newBuilder();
    headers.set("Content-Type", JSON);
    RecordedRequest raw =
        new RecordedRequest(
            req.raw().getHttpVersion(),
            HttpMethod.POST,
            req.raw().getPath(),
            headers.build(),
            new Buffer(body.toString().getBytes(StandardCharsets.UTF_8)));
    return new Req(raw, "POST", req.path(), req.query());
  }

  // ------------------------------------------------------------------------------ paths

  /**
   * A resource path: {@code /api/v1[/namespaces/<ns>]/<plural>[/<name>[/<subresource>]]} or the
   * same under {@code /apis/<group>/<version>}; {@code .../watch/...} paths are not used by current
   * clients and are not recognised.
   */
  record ResourcePath(
      String group,
      String version,
      String namespace,
      String plural,
      String name,
      String subresource) {

    static ResourcePath parse(String path) {
      String[] s = path.split("/");
      // "", "api", "v1", ... or "", "apis", group, version, ...
      int i;
      String group;
      String version;
      if (s.length >= 4 && s[1].equals("api")) {
        group = "";
        version = s[2];
        i = 3;
      } else if (s.length >= 5 && s[1].equals("apis")) {
        group = s[2];
        version = s[3];
        i = 4;
      } else {
        return null;
      }
      int rest = s.length - i;
      String ns = null;
      if (rest >= 3
          && s[i].equals("namespaces")
          && !(rest == 3 && (s[i + 2].equals("status") || s[i + 2].equals("finalize")))) {
        ns = s[i + 1];
        i += 2;
        rest -= 2;
      }
      if (rest < 1 || rest > 3) {
        return null;
      }
      return new ResourcePath(
          group, version, ns, s[i], rest >= 2 ? s[i + 1] : null, rest == 3 ? s[i + 2] : null);
    }

    private String prefix() {
      return (group.isEmpty() ? "/api/" : "/apis/" + group + "/")
          + version
          + (namespace == null ? "" : "/namespaces/" + namespace);
    }

    String collectionPath() {
      return prefix() + "/" + plural;
    }

    String objectPath() {
      return collectionPath() + "/" + name;
    }

    String path() {
      return subresource == null ? objectPath() : objectPath() + "/" + subresource;
    }

    ResourcePath main() {
      return new ResourcePath(group, version, namespace, plural, name, null);
    }

    ResourcePath collection() {
      return new ResourcePath(group, version, namespace, plural, null, null);
    }
  }
}
