package io.nbsecrets.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nbsecrets.audit.Audit;
import io.nbsecrets.http.Exchange;
import io.nbsecrets.http.HttpEndpoint;
import io.nbsecrets.http.HttpError;
import io.nbsecrets.http.HttpLimits;
import io.nbsecrets.http.Probes;
import io.nbsecrets.http.Route;
import io.nbsecrets.store.StoreException;
import io.nbsecrets.store.StoreUnavailableException;
import io.nbsecrets.store.TooManySecretsException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The secrets API over HTTP(S) (JSON), on {@link HttpEndpoint} (Jetty).
 *
 * <ul>
 *   <li>{@code GET /api/v1/secrets} — the caller's secrets (metadata, never values)
 *   <li>{@code GET|PUT|DELETE /api/v1/secrets/{name}} — metadata of, create or replace, delete one
 *       ({@link SecretRoutes})
 *   <li>{@code POST /api/v1/init/user-key} — a session pod's init container gets its user's key
 *       ({@link InitRoute})
 *   <li>{@code GET /healthz}, {@code GET /readyz}, {@code GET /metrics} ({@link Probes})
 * </ul>
 *
 * <p>Every response is JSON ({@code /metrics} excepted) with {@code Cache-Control: no-store};
 * errors, including those the server makes itself, are {@code {"error": code, "message": text}}.
 * One log line per request (method, route template, status, duration, user) and one timer {@code
 * nbsecrets.api.requests} tagged with route template, method and status; never bodies, tokens,
 * values or keys.
 *
 * <p>Start with {@link #builder()}; {@link #close()} stops taking requests, lets running ones
 * finish (up to the grace period) and frees the threads.
 */
public final class ApiServer implements AutoCloseable {
  public static final String ROUTE_SECRETS = "/api/v1/secrets";
  public static final String ROUTE_SECRET = "/api/v1/secrets/{name}";
  public static final String ROUTE_INIT_USER_KEY = "/api/v1/init/user-key";
  public static final String ROUTE_HEALTHZ = Probes.HEALTHZ;
  public static final String ROUTE_READYZ = Probes.READYZ;
  public static final String ROUTE_METRICS = Probes.METRICS;
  public static final String ROUTE_OPENAPI = "/api/v1/openapi.json";
  public static final String ROUTE_LIMITS = "/api/v1/limits";
  public static final String METRIC_REQUESTS = "nbsecrets.api.requests";

  /** How long an answer of {@code /readyz} is reused (see {@link Probes#cached}). */
  static final java.time.Duration READINESS_TTL = java.time.Duration.ofSeconds(1);

  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
  private static final Logger accessLog = LoggerFactory.getLogger("io.nbsecrets.api.access");

  private final ApiConfig config;
  private final MeterRegistry registry;
  private final HttpEndpoint endpoint;
  private final Map<String, List<String>> routes = new LinkedHashMap<>();

  private ApiServer(Builder b) throws IOException {
    this.config = b.config;
    this.registry = b.registry;
    SecretService secrets = Objects.requireNonNull(b.secrets, "secrets");
    UserKeyService userKeys = Objects.requireNonNull(b.userKeys, "userKeys");
    Authenticator authenticator = Objects.requireNonNull(b.authenticator, "authenticator");
    BooleanSupplier readiness =
        b.readiness != null
            ? b.readiness
            : () -> {
              secrets.checkStore();
              return true;
            };
    Callers callers =
        new Callers(
            config,
            authenticator,
            new RefusedTokens(b.refusedTokens),
            new RefusedTokens(b.refusedTokens.behindOneProxy()));
    HttpEndpoint.Builder endpoint =
        b.http
            .maxBody(config.maxBodyBytes(), this::bodyTooLarge)
            // Every route with a body needs a bearer token: one without is refused before its
            // body is read. A token is checked once the body has come (the check may block), so
            // each client address may hold only its share of the bodies' budget meanwhile.
            .beforeBody(Callers::bearer)
            .errors(this::error)
            .onAnswered(this::record);
    List<Route> all =
        new ArrayList<>(new SecretRoutes(secrets, b.sessionUsage, callers, b.audit).routes());
    all.add(new InitRoute(config, callers, b.podResolver, userKeys).route());
    all.add(OpenApiDocument.route(ROUTE_OPENAPI));
    all.add(
        Route.get(
            ROUTE_LIMITS,
            false,
            (exchange, unused) ->
                exchange.json(
                    200,
                    Map.of(
                        "maxValueBytes",
                        config.maxValueBytes(),
                        "maxSecretsPerUser",
                        config.maxSecretsPerUser()))));
    all.addAll(WebPage.routes());
    all.addAll(
        Probes.routes(
            Optional::empty,
            // Anyone may ask (no token): the store is asked at most once per READINESS_TTL.
            b.readinessCached
                ? Probes.cached(() -> ready(readiness), READINESS_TTL, System::nanoTime)
                : () -> ready(readiness),
            registry instanceof PrometheusMeterRegistry p ? p : null));
    for (Route route : all) {
      endpoint.route(route);
      routes.put(route.template(), route.methods());
    }
    this.endpoint = endpoint.start();
    log.info(
        "secrets API listening on {} (init endpoint {})",
        this.endpoint.address(),
        b.podResolver == null ? "disabled" : "enabled");
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Every route this server answers: template to methods (what its OpenAPI document lists). */
  public Map<String, List<String>> routes() {
    return Collections.unmodifiableMap(routes);
  }

  /** The port the server listens on (the ephemeral one when started with port 0). */
  public int port() {
    return endpoint.port();
  }

  /**
   * Stops the server gracefully: new requests get 503 at once (readiness fails), requests being
   * served may finish within the grace period, then the socket and threads are released.
   */
  @Override
  public void close() {
    endpoint.close();
    log.info("secrets API stopped");
  }

  private static Optional<String> ready(BooleanSupplier readiness) {
    try {
      if (readiness.getAsBoolean()) {
        return Optional.empty();
      }
    } catch (RuntimeException e) {
      log.warn("not ready: {}: {}", e.getClass().getSimpleName(), safeMessage(e));
    }
    return Optional.of("the secret store is not reachable");
  }

  private HttpError bodyTooLarge(int cap) {
    return new ApiException(
        413,
        "body_too_large",
        "the request body is larger than "
            + cap
            + " bytes; values may be at most "
            + config.maxValueBytes()
            + " bytes (a value whose characters are sent as \\u escapes takes up to 6 bytes of"
            + " body per byte of value: send UTF-8 as it is)",
        Map.of("Connection", "close"));
  }

  /** What a handler threw, as the answer; store messages name users and secrets, never values. */
  private HttpError error(Throwable e) {
    if (e instanceof TooManySecretsException) {
      return new ApiException(
          409,
          "too_many_secrets",
          "you already have the maximum of "
              + config.maxSecretsPerUser()
              + " secrets; delete one before creating another");
    }
    if (e instanceof StoreUnavailableException) {
      log.warn("secret store unavailable: {}", e.getMessage());
      return retryLater("store_unavailable", "the secret store is unavailable");
    }
    if (e instanceof AuthenticationUnavailableException) {
      log.warn("{}", e.getMessage());
      return retryLater("authentication_unavailable", "the caller cannot be authenticated now");
    }
    if (e instanceof StoreException) {
      log.error("secret store failed: {}", e.getMessage());
      return new ApiException(500, "internal_error", "internal error");
    }
    // Only the exception's type and where it happened: a message might quote some input.
    log.error("internal error: {}", describe(e));
    return new ApiException(500, "internal_error", "internal error");
  }

  private static HttpError retryLater(String code, String what) {
    return new ApiException(503, code, what + "; try again later", Map.of("Retry-After", "5"));
  }

  private void record(Exchange exchange) {
    int status = exchange.status();
    long millis = TimeUnit.NANOSECONDS.toMillis(exchange.nanos());
    // Probes that pass come every few seconds: debug only.
    accessLog
        .atLevel(Probes.isProbe(exchange.route()) && status < 500 ? Level.DEBUG : Level.INFO)
        .log(
            "{} {} {} {}ms user={}",
            exchange.method(),
            exchange.route(),
            status,
            millis,
            exchange.user());
    if (registry != null) {
      Timer.builder(METRIC_REQUESTS)
          .description("Requests to the secrets API")
          .tags(
              "route",
              exchange.route(),
              "method",
              exchange.method(),
              "status",
              Integer.toString(status))
          .register(registry)
          .record(exchange.nanos(), TimeUnit.NANOSECONDS);
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
    private boolean readinessCached = true;
    private Audit audit = Audit.systemClock();
    private SessionUsage sessionUsage = SessionUsage.UNKNOWN;
    private final HttpEndpoint.Builder http = HttpEndpoint.builder("nbsecrets-api").port(8080);
    private RefusedTokens.Limits refusedTokens = RefusedTokens.Limits.DEFAULTS;

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

    /**
     * How many refused tokens one client address may send ({@link RefusedTokens}): {@code burst} at
     * once, then {@code perSecond}; past that, its tokens not known yet get 429 without a
     * TokenReview. Default: 20 at once, 2 a second.
     */
    public Builder refusedTokens(int burst, double perSecond) {
      this.refusedTokens = new RefusedTokens.Limits(burst, perSecond, refusedTokens.maxAddresses());
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

    /** Where the audit trail goes (default: the system clock, logger io.nbsecrets.audit). */
    public Builder audit(Audit audit) {
      this.audit = Objects.requireNonNull(audit, "audit");
      return this;
    }

    /** Which sessions mount the users' secrets (default: not known, so no {@code usedBy}). */
    public Builder sessionUsage(SessionUsage sessionUsage) {
      this.sessionUsage = Objects.requireNonNull(sessionUsage, "sessionUsage");
      return this;
    }

    /**
     * Overrides the readiness check (default: one cheap store read), whose answer is reused for
     * {@link #READINESS_TTL}; {@code cached} false: asked on every probe.
     */
    public Builder readiness(BooleanSupplier readiness, boolean cached) {
      this.readinessCached = cached;
      return readiness(readiness);
    }

    /** Overrides the readiness check (default: one cheap store read per probe). */
    public Builder readiness(BooleanSupplier readiness) {
      this.readiness = readiness;
      return this;
    }

    /**
     * Where and how the server listens: host, port, {@link HttpLimits} and TLS, set on the {@link
     * HttpEndpoint.Builder} the server is built on (defaults: {@code 0.0.0.0:8080}, {@link
     * HttpLimits#defaults()}, plain HTTP). Its routes, error answers and body limit are the API's.
     */
    public Builder http(Consumer<HttpEndpoint.Builder> settings) {
      settings.accept(http);
      return this;
    }

    /** Binds and starts the server. */
    public ApiServer start() throws IOException {
      return new ApiServer(this);
    }
  }
}
