package io.nbsecrets.api;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nbsecrets.model.SecretNames;
import io.nbsecrets.store.PutResult;
import io.nbsecrets.store.SecretMetadata;
import io.nbsecrets.store.StoreException;
import io.nbsecrets.store.StoreUnavailableException;
import io.nbsecrets.store.TooManySecretsException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The secrets API over HTTP (JSON), on the JDK's HTTP server.
 *
 * <ul>
 *   <li>{@code GET /api/v1/secrets} — the caller's secrets (metadata, never values)
 *   <li>{@code GET|PUT|DELETE /api/v1/secrets/{name}} — metadata of, create or replace, delete one
 *   <li>{@code POST /api/v1/init/user-key} — a session pod's init container gets its user's key
 *   <li>{@code GET /healthz}, {@code GET /readyz}, {@code GET /metrics}
 * </ul>
 *
 * <p>Every response is JSON ({@code /metrics} excepted) with {@code Cache-Control: no-store};
 * errors are {@code {"error": code, "message": text}}. One log line per request (method, route
 * template, status, duration, user) and one timer {@code nbsecrets.api.requests} tagged with route
 * template, method and status; never bodies, tokens, values or keys.
 *
 * <p>Start with {@link #builder()}; {@link #close()} stops taking requests, lets running ones
 * finish (up to the grace period) and frees the threads.
 */
public final class ApiServer implements AutoCloseable {
  public static final String ROUTE_SECRETS = "/api/v1/secrets";
  public static final String ROUTE_SECRET = "/api/v1/secrets/{name}";
  public static final String ROUTE_INIT_USER_KEY = "/api/v1/init/user-key";
  public static final String ROUTE_HEALTHZ = "/healthz";
  public static final String ROUTE_READYZ = "/readyz";
  public static final String ROUTE_METRICS = "/metrics";
  static final String ROUTE_UNMATCHED = "unmatched";
  public static final String METRIC_REQUESTS = "nbsecrets.api.requests";

  static final String JSON = "application/json; charset=utf-8";
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final Set<String> KNOWN_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
  private static final int MAX_USERNAME_LENGTH = 253;

  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
  private static final Logger accessLog = LoggerFactory.getLogger("io.nbsecrets.api.access");

  private static final ObjectMapper WRITER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .build();
  private static final ObjectMapper READER =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private final ApiConfig config;
  private final SecretService secrets;
  private final UserKeyService userKeys;
  private final Authenticator authenticator;
  private final SessionPodResolver podResolver;
  private final MeterRegistry registry;
  private final BooleanSupplier readiness;
  private final Duration shutdownGrace;
  private final HttpServer server;
  private final ThreadPoolExecutor executor;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closing;
  private boolean closed;

  private ApiServer(Builder b) throws IOException {
    this.config = b.config;
    this.secrets = Objects.requireNonNull(b.secrets, "secrets");
    this.userKeys = Objects.requireNonNull(b.userKeys, "userKeys");
    this.authenticator = Objects.requireNonNull(b.authenticator, "authenticator");
    this.podResolver = b.podResolver;
    this.registry = b.registry;
    this.readiness =
        b.readiness != null
            ? b.readiness
            : () -> {
              secrets.checkStore();
              return true;
            };
    this.shutdownGrace = b.shutdownGrace;
    AtomicInteger threadNumber = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(
            b.threads,
            b.threads,
            60,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(b.queueCapacity),
            r -> {
              Thread t = new Thread(r, "nbsecrets-api-" + threadNumber.incrementAndGet());
              t.setDaemon(false);
              return t;
            },
            // The JDK server closes the connection of a request the executor refuses.
            new ThreadPoolExecutor.AbortPolicy());
    this.executor.allowCoreThreadTimeOut(true);
    this.server = HttpServer.create(new InetSocketAddress(b.host, b.port), b.backlog);
    this.server.setExecutor(executor);
    this.server.createContext("/", this::handle);
    this.server.start();
    log.info(
        "secrets API listening on {}:{} (init endpoint {})",
        b.host,
        port(),
        podResolver == null ? "disabled" : "enabled");
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The port the server listens on (the ephemeral one when started with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * Stops the server gracefully: new requests get 503 at once (and readiness fails), requests being
   * served may finish within the grace period, then the socket and threads are released.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closing = true;
    long deadline = System.nanoTime() + shutdownGrace.toNanos();
    while (inFlight.get() > 0 && deadline - System.nanoTime() > 0) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    server.stop(0);
    executor.shutdown();
    try {
      if (!executor.awaitTermination(
          Math.max(1, shutdownGrace.toMillis()), TimeUnit.MILLISECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    log.info("secrets API stopped");
  }

  // ---------------------------------------------------------------------------------------------
  // Request handling

  /** One request's bookkeeping, for the access log and the metric. */
  private static final class Call {
    final HttpExchange exchange;
    final String method;
    String route = ROUTE_UNMATCHED;
    String user = "-";
    int status;
    boolean responded;

    Call(HttpExchange exchange) {
      this.exchange = exchange;
      String m = exchange.getRequestMethod();
      this.method = KNOWN_METHODS.contains(m) ? m : "other";
    }
  }

  private void handle(HttpExchange exchange) {
    long start = System.nanoTime();
    inFlight.incrementAndGet();
    Call call = new Call(exchange);
    try {
      if (closing) {
        throw new ApiException(
            503, "shutting_down", "the server is shutting down", Map.of("Connection", "close"));
      }
      route(call);
    } catch (ApiException e) {
      fail(call, e.status(), e.code(), e.getMessage(), e.headers());
    } catch (TooManySecretsException e) {
      fail(
          call,
          409,
          "too_many_secrets",
          "you already have the maximum of "
              + config.maxSecretsPerUser()
              + " secrets; delete one before creating another",
          Map.of());
    } catch (StoreUnavailableException e) {
      // Store messages name users and secrets, never values (SecretStore contract).
      log.warn("{} {}: secret store unavailable: {}", call.method, call.route, e.getMessage());
      fail(
          call,
          503,
          "store_unavailable",
          "the secret store is unavailable; try again later",
          Map.of("Retry-After", "5"));
    } catch (AuthenticationUnavailableException e) {
      log.warn("{} {}: {}", call.method, call.route, e.getMessage());
      fail(
          call,
          503,
          "authentication_unavailable",
          "the caller cannot be authenticated now; try again later",
          Map.of("Retry-After", "5"));
    } catch (StoreException e) {
      log.error("{} {}: secret store failed: {}", call.method, call.route, e.getMessage());
      fail(call, 500, "internal_error", "internal error", Map.of());
    } catch (IOException e) {
      // The client went away or sent a broken request; nothing useful can be answered.
      log.debug("{} {}: I/O error: {}", call.method, call.route, e.getClass().getName());
      fail(call, 400, "bad_request", "the request could not be read", Map.of());
    } catch (RuntimeException | Error e) {
      // Only the exception's type and where it happened: a message might quote some input.
      log.error("{} {}: internal error: {}", call.method, call.route, describe(e));
      fail(call, 500, "internal_error", "internal error", Map.of());
    } finally {
      long nanos = System.nanoTime() - start;
      exchange.close();
      inFlight.decrementAndGet();
      record(call, nanos);
    }
  }

  private void route(Call call) throws IOException {
    String path = call.exchange.getRequestURI().getRawPath();
    if (path == null) {
      path = "";
    }
    switch (path) {
      case ROUTE_HEALTHZ -> {
        call.route = ROUTE_HEALTHZ;
        allow(call, "GET");
        respond(call, 200, Map.of("status", "ok"));
      }
      case ROUTE_READYZ -> {
        call.route = ROUTE_READYZ;
        allow(call, "GET");
        ready(call);
      }
      case ROUTE_METRICS -> {
        call.route = ROUTE_METRICS;
        allow(call, "GET");
        metrics(call);
      }
      case ROUTE_SECRETS -> {
        call.route = ROUTE_SECRETS;
        allow(call, "GET");
        String user = authenticateUser(call);
        respond(call, 200, Map.of("items", secrets.list(user)));
      }
      case ROUTE_INIT_USER_KEY -> {
        call.route = ROUTE_INIT_USER_KEY;
        allow(call, "POST");
        initUserKey(call);
      }
      default -> {
        String prefix = ROUTE_SECRETS + "/";
        if (path.startsWith(prefix) && path.indexOf('/', prefix.length()) < 0) {
          call.route = ROUTE_SECRET;
          secret(call, path.substring(prefix.length()));
        } else {
          throw new ApiException(404, "not_found", "no such route");
        }
      }
    }
  }

  private static void allow(Call call, String... methods) {
    for (String m : methods) {
      if (m.equals(call.exchange.getRequestMethod())) {
        return;
      }
    }
    String allowed = String.join(", ", methods);
    throw new ApiException(
        405,
        "method_not_allowed",
        "method not allowed on " + call.route + "; allowed: " + allowed,
        Map.of("Allow", allowed));
  }

  private void secret(Call call, String rawName) throws IOException {
    allow(call, "GET", "PUT", "DELETE");
    String user = authenticateUser(call);
    String name = percentDecode(rawName);
    switch (call.exchange.getRequestMethod()) {
      case "GET" -> {
        SecretMetadata metadata =
            secrets
                .get(user, name)
                .orElseThrow(() -> new ApiException(404, "not_found", "no secret named " + name));
        respond(call, 200, metadata);
      }
      case "DELETE" -> {
        if (!secrets.delete(user, name)) {
          throw new ApiException(404, "not_found", "no secret named " + name);
        }
        respond(call, 204, null);
      }
      default -> {
        SecretNames.problem(name)
            .ifPresent(
                problem -> {
                  throw ApiException.badRequest("invalid_name", problem);
                });
        byte[] body = readBody(call.exchange);
        byte[] value;
        try {
          value = parseValue(body);
        } finally {
          Arrays.fill(body, (byte) 0);
        }
        PutResult result;
        try {
          result = secrets.put(user, name, value);
        } finally {
          Arrays.fill(value, (byte) 0);
        }
        if (result.created()) {
          call.exchange.getResponseHeaders().set("Location", ROUTE_SECRETS + "/" + name);
        }
        respond(call, result.created() ? 201 : 200, result.metadata());
      }
    }
  }

  private void initUserKey(Call call) throws IOException {
    String token = bearer(call.exchange);
    String audience = config.podTokenAudience();
    String refusal =
        "this endpoint accepts only the projected service-account token (audience "
            + audience
            + ") of a notebook session's pod";
    Optional<Identity> identity = authenticator.authenticate(token, List.of(audience));
    if (identity.isEmpty()) {
      log.warn("user-key request refused: the token is not valid for audience {}", audience);
      throw new ApiException(403, "forbidden", refusal);
    }
    call.user = identity.get().username();
    if (podResolver == null) {
      log.warn("user-key request of {} refused: no pod resolver configured", call.user);
      throw new ApiException(403, "forbidden", refusal);
    }
    SessionPodResolver.Resolution resolution = podResolver.resolve(identity.get());
    if (!(resolution instanceof SessionPodResolver.Resolved resolved)) {
      throw new ApiException(403, "forbidden", refusal);
    }
    String key = userKeys.getOrCreate(resolved.user());
    call.user = resolved.user();
    log.info(
        "user key of {} issued to pod {}/{} of NotebookSession {}",
        resolved.user(),
        resolved.namespace(),
        resolved.pod(),
        resolved.session());
    Map<String, String> body = new LinkedHashMap<>();
    body.put("user", resolved.user());
    body.put("key", key);
    respond(call, 200, body);
  }

  private void ready(Call call) throws IOException {
    boolean ready;
    if (closing) {
      ready = false;
    } else {
      try {
        ready = readiness.getAsBoolean();
      } catch (RuntimeException e) {
        log.warn("not ready: {}: {}", e.getClass().getSimpleName(), safeMessage(e));
        ready = false;
      }
    }
    if (ready) {
      respond(call, 200, Map.of("status", "ready"));
    } else {
      throw new ApiException(503, "not_ready", "the secret store is not reachable");
    }
  }

  private void metrics(Call call) throws IOException {
    if (!(registry instanceof PrometheusMeterRegistry prometheus)) {
      throw new ApiException(404, "not_found", "metrics are not enabled");
    }
    byte[] text = prometheus.scrape().getBytes(StandardCharsets.UTF_8);
    send(call, 200, text, PROMETHEUS_TEXT);
  }

  // ---------------------------------------------------------------------------------------------
  // Authentication

  private String authenticateUser(Call call) {
    String token = bearer(call.exchange);
    Identity identity =
        authenticator
            .authenticate(token, List.of())
            .orElseThrow(
                () ->
                    new ApiException(
                        401,
                        "unauthorized",
                        "the bearer token is invalid or expired",
                        Map.of(
                            "WWW-Authenticate",
                            "Bearer realm=\"nbsecrets\", error=\"invalid_token\"")));
    String username = identity.username();
    call.user = username;
    if (username.startsWith(SessionPodResolver.SERVICE_ACCOUNT_PREFIX)) {
      if (!config.allowServiceAccountUsers()) {
        throw new ApiException(
            403, "forbidden", "service-account tokens are not accepted on this endpoint");
      }
    } else if (username.startsWith("system:")) {
      throw new ApiException(403, "forbidden", "system users are not accepted on this endpoint");
    } else if (!config.usernamePrefixToStrip().isEmpty()) {
      if (!username.startsWith(config.usernamePrefixToStrip())) {
        throw new ApiException(
            403, "forbidden", "the user does not come from the configured identity provider");
      }
      username = username.substring(config.usernamePrefixToStrip().length());
    }
    if (username.isEmpty()
        || username.length() > MAX_USERNAME_LENGTH
        || username.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new ApiException(403, "forbidden", "the user name is not acceptable");
    }
    call.user = username;
    return username;
  }

  private static String bearer(HttpExchange exchange) {
    List<String> values = exchange.getRequestHeaders().get("Authorization");
    if (values == null || values.isEmpty()) {
      throw unauthorized("missing bearer token");
    }
    if (values.size() > 1) {
      throw unauthorized("send one Authorization header");
    }
    String header = values.get(0).trim();
    if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw unauthorized("the Authorization header must be \"Bearer <token>\"");
    }
    String token = header.substring(7).trim();
    if (token.isEmpty()) {
      throw unauthorized("missing bearer token");
    }
    return token;
  }

  private static ApiException unauthorized(String message) {
    return new ApiException(
        401, "unauthorized", message, Map.of("WWW-Authenticate", "Bearer realm=\"nbsecrets\""));
  }

  // ---------------------------------------------------------------------------------------------
  // Bodies

  private byte[] readBody(HttpExchange exchange) throws IOException {
    int cap = config.maxBodyBytes();
    String length = exchange.getRequestHeaders().getFirst("Content-Length");
    if (length != null) {
      long declared;
      try {
        declared = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        throw ApiException.badRequest("bad_request", "invalid Content-Length");
      }
      if (declared > cap) {
        throw bodyTooLarge(cap);
      }
    }
    InputStream in = exchange.getRequestBody();
    byte[] body = in.readNBytes(cap + 1);
    if (body.length > cap) {
      Arrays.fill(body, (byte) 0);
      throw bodyTooLarge(cap);
    }
    return body;
  }

  private ApiException bodyTooLarge(int cap) {
    return new ApiException(
        413,
        "body_too_large",
        "the request body is larger than "
            + cap
            + " bytes; values may be at most "
            + config.maxValueBytes()
            + " bytes",
        Map.of("Connection", "close"));
  }

  /** The value of a PUT body, as bytes; never quotes the body in an error. */
  private static byte[] parseValue(byte[] body) {
    JsonNode root;
    try {
      root = READER.readTree(body);
    } catch (JacksonException e) {
      throw ApiException.badRequest("invalid_json", "the request body is not valid JSON");
    } catch (IOException e) {
      throw ApiException.badRequest("invalid_json", "the request body could not be read as JSON");
    }
    if (root == null || root.isMissingNode() || !root.isObject()) {
      throw ApiException.badRequest(
          "invalid_json", "the request body must be a JSON object such as {\"value\": \"...\"}");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (!field.equals("value") && !field.equals("encoding")) {
        throw ApiException.badRequest(
            "invalid_request", "unknown field in the body; allowed are \"value\" and \"encoding\"");
      }
    }
    JsonNode valueNode = root.get("value");
    if (valueNode == null || valueNode.isNull()) {
      throw ApiException.badRequest("invalid_value", "the body has no \"value\"");
    }
    if (!valueNode.isTextual()) {
      throw ApiException.badRequest("invalid_value", "\"value\" must be a JSON string");
    }
    String value = valueNode.textValue();
    JsonNode encodingNode = root.get("encoding");
    String encoding =
        encodingNode == null || encodingNode.isNull()
            ? "text"
            : encodingNode.isTextual() ? encodingNode.textValue() : "";
    byte[] bytes =
        switch (encoding) {
          case "text" -> utf8(value);
          case "base64" -> base64(value);
          default ->
              throw ApiException.badRequest(
                  "unknown_encoding",
                  "unknown \"encoding\"; use \"base64\" for binary values, or leave it out for text");
        };
    if (bytes.length == 0) {
      throw ApiException.badRequest("invalid_value", "value must not be empty");
    }
    return bytes;
  }

  private static byte[] utf8(String text) {
    CharsetEncoder encoder =
        StandardCharsets.UTF_8
            .newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try {
      ByteBuffer buffer = encoder.encode(CharBuffer.wrap(text));
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      if (buffer.hasArray()) {
        Arrays.fill(buffer.array(), (byte) 0);
      }
      return bytes;
    } catch (CharacterCodingException e) {
      throw ApiException.badRequest(
          "invalid_value", "value is not valid Unicode text (it has an unpaired surrogate)");
    }
  }

  private static byte[] base64(String text) {
    ByteArrayOutputStream compact = new ByteArrayOutputStream(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        continue;
      }
      if (c > 0x7f) {
        throw ApiException.badRequest("invalid_base64", "value is not valid base64");
      }
      compact.write(c);
    }
    byte[] ascii = compact.toByteArray();
    try {
      return Base64.getDecoder().decode(ascii);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(
          "invalid_base64", "value is not valid base64 (standard alphabet, with padding)");
    } finally {
      Arrays.fill(ascii, (byte) 0);
    }
  }

  /** Decodes %XX escapes of a path segment (strictly: a broken escape is an invalid name). */
  static String percentDecode(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c != '%') {
        out.write(c > 0x7f ? '?' : c);
        continue;
      }
      if (i + 2 >= raw.length()
          || Character.digit(raw.charAt(i + 1), 16) < 0
          || Character.digit(raw.charAt(i + 2), 16) < 0) {
        throw ApiException.badRequest("invalid_name", "the name is not correctly percent-encoded");
      }
      out.write(
          Character.digit(raw.charAt(i + 1), 16) * 16 + Character.digit(raw.charAt(i + 2), 16));
      i += 2;
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------------------------
  // Responses, logs, metrics

  private void respond(Call call, int status, Object body) throws IOException {
    if (body == null) {
      send(call, status, null, JSON);
    } else {
      send(call, status, WRITER.writeValueAsBytes(body), JSON);
    }
  }

  private void send(Call call, int status, byte[] body, String contentType) throws IOException {
    HttpExchange exchange = call.exchange;
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    call.responded = true;
    call.status = status;
    if (body == null || status == 204) {
      exchange.sendResponseHeaders(status, -1);
      return;
    }
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  private void fail(
      Call call, int status, String code, String message, Map<String, String> headers) {
    if (call.responded) {
      return;
    }
    headers.forEach((k, v) -> call.exchange.getResponseHeaders().set(k, v));
    Map<String, String> body = new LinkedHashMap<>();
    body.put("error", code);
    body.put("message", message);
    try {
      respond(call, status, body);
    } catch (IOException e) {
      log.debug("{} {}: could not send the error response: {}", call.method, call.route, e);
      call.status = status;
    }
  }

  private void record(Call call, long nanos) {
    int status = call.status == 0 ? 500 : call.status;
    long millis = TimeUnit.NANOSECONDS.toMillis(nanos);
    boolean probe =
        call.route.equals(ROUTE_HEALTHZ)
            || call.route.equals(ROUTE_READYZ)
            || call.route.equals(ROUTE_METRICS);
    if (probe && status < 500) {
      accessLog.debug("{} {} {} {}ms user={}", call.method, call.route, status, millis, call.user);
    } else {
      accessLog.info("{} {} {} {}ms user={}", call.method, call.route, status, millis, call.user);
    }
    if (registry != null) {
      Timer.builder(METRIC_REQUESTS)
          .description("Requests to the secrets API")
          .tags("route", call.route, "method", call.method, "status", Integer.toString(status))
          .register(registry)
          .record(nanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Exception types and the first frames, without messages (which might quote input). */
  static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder();
    Throwable t = e;
    for (int depth = 0; t != null && depth < 5; depth++, t = t.getCause()) {
      if (depth > 0) {
        sb.append(" caused by ");
      }
      sb.append(t.getClass().getName());
      StackTraceElement[] frames = t.getStackTrace();
      for (int i = 0; i < Math.min(3, frames.length); i++) {
        sb.append(i == 0 ? " at " : " < ").append(frames[i]);
      }
    }
    return sb.toString();
  }

  private static String safeMessage(RuntimeException e) {
    return e instanceof StoreException ? e.getMessage() : "(message withheld)";
  }

  // ---------------------------------------------------------------------------------------------

  /** Wiring of an {@link ApiServer}. */
  public static final class Builder {
    private ApiConfig config = ApiConfig.defaults();
    private SecretService secrets;
    private UserKeyService userKeys;
    private Authenticator authenticator;
    private SessionPodResolver podResolver;
    private MeterRegistry registry;
    private BooleanSupplier readiness;
    private String host = "0.0.0.0";
    private int port = 8080;
    private int threads = 16;
    private int queueCapacity = 256;
    private int backlog = 128;
    private Duration shutdownGrace = Duration.ofSeconds(5);

    private Builder() {}

    /** Limits and policies (default {@link ApiConfig#defaults()}). */
    public Builder config(ApiConfig config) {
      this.config = Objects.requireNonNull(config);
      return this;
    }

    /** Required. */
    public Builder secrets(SecretService secrets) {
      this.secrets = secrets;
      return this;
    }

    /** Required. */
    public Builder userKeys(UserKeyService userKeys) {
      this.userKeys = userKeys;
      return this;
    }

    /** Required: verifies bearer tokens ({@link TokenReviewAuthenticator} in a cluster). */
    public Builder authenticator(Authenticator authenticator) {
      this.authenticator = authenticator;
      return this;
    }

    /** Enables the init endpoint; without it every caller of that endpoint gets 403. */
    public Builder podResolver(SessionPodResolver podResolver) {
      this.podResolver = podResolver;
      return this;
    }

    /** Where the request timer goes; a {@link PrometheusMeterRegistry} also enables /metrics. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.registry = registry;
      return this;
    }

    /** Overrides the readiness check (default: one cheap store read per probe). */
    public Builder readiness(BooleanSupplier readiness) {
      this.readiness = readiness;
      return this;
    }

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host);
      return this;
    }

    /** 0 picks a free port; see {@link ApiServer#port()}. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Worker threads (default 16) and how many accepted requests may wait for one (256). */
    public Builder threads(int threads, int queueCapacity) {
      if (threads < 1 || queueCapacity < 1) {
        throw new IllegalArgumentException("threads and queueCapacity must be at least 1");
      }
      this.threads = threads;
      this.queueCapacity = queueCapacity;
      return this;
    }

    /** How long {@link ApiServer#close()} lets running requests finish (default 5 s). */
    public Builder shutdownGrace(Duration shutdownGrace) {
      this.shutdownGrace = Objects.requireNonNull(shutdownGrace);
      return this;
    }

    /** Binds and starts the server. */
    public ApiServer start() throws IOException {
      return new ApiServer(this);
    }
  }
}
