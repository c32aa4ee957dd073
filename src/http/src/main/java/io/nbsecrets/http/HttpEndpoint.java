package io.nbsecrets.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP(S) server of a few JSON routes, on Jetty's core API (no servlets), with every limit of
 * {@link HttpLimits} applied.
 *
 * <p>How a request goes: Jetty reads the request line and headers without a worker thread; the
 * route is matched (404, 405 otherwise); a route with a body checks {@code Content-Type} (415) and
 * {@code Content-Length} (413) and then reads the body as it arrives, still without a worker; the
 * handler runs on a worker once the body is whole. A blocking route's handler runs on a pool of its
 * own ({@link HttpLimits#maxBlockingRequests()} threads, at most {@link
 * HttpLimits#maxQueuedRequests()} waiting; 503 with {@code Retry-After} beyond), so a burst waits
 * its turn and probes always find a worker. A request not answered within {@link
 * HttpLimits#requestTimeout()} gets 503. On {@link #close()}, new requests get 503 and running ones
 * have {@link HttpLimits#shutdownGrace()} to finish.
 */
public final class HttpEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpEndpoint.class);

  private final String name;
  private final String scheme;
  private final String host;
  private final Server server;
  private final ServerConnector connector;

  private HttpEndpoint(Builder b) throws IOException {
    this.name = b.name;
    this.scheme = b.tls == null ? "http" : "https";
    this.host = b.host;
    HttpLimits limits = b.limits;
    // Jetty wants its job queue unbounded (its own tasks go there too); what bounds the work is
    // the connection limit, the threads and the permits of blocking routes.
    QueuedThreadPool pool = new QueuedThreadPool(limits.maxThreads(), 4, 60_000);
    pool.setName(b.name);
    server = new Server(pool);
    server.setStopTimeout(limits.shutdownGrace().toMillis());
    server.setStopAtShutdown(false);
    server.setErrorHandler(new JsonErrorHandler(limits.maxRequestHeaderBytes()));

    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(limits.maxRequestHeaderBytes());
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setIdleTimeout(limits.idleTimeout().toMillis());
    // Routes match the raw path and decode their one parameter themselves (strictly), and no path
    // is ever a file: an encoded '/' or '.' is a name to refuse with a reason, not a request to
    // refuse unexplained.
    http.setUriCompliance(
        UriCompliance.DEFAULT.with(
            "nbsecrets",
            UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
            UriCompliance.Violation.AMBIGUOUS_PATH_SEGMENT,
            UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING));
    List<ConnectionFactory> factories = new ArrayList<>();
    if (b.tls != null) {
      SecureRequestCustomizer secure = new SecureRequestCustomizer();
      // The certificate names the Service, not the address a test or port-forward uses.
      secure.setSniHostCheck(false);
      http.addCustomizer(secure);
      factories.add(new SslConnectionFactory(b.tls, HttpVersion.HTTP_1_1.asString()));
    }
    factories.add(new HttpConnectionFactory(http));
    connector = new ServerConnector(server, factories.toArray(ConnectionFactory[]::new));
    connector.setHost(b.host);
    connector.setPort(b.port);
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
    ConnectionGuard guard = new ConnectionGuard(limits, server.getScheduler());
    connector.addBean(guard);

    GracefulHandler graceful = new GracefulHandler(new Routing(b, server.getScheduler(), guard));
    server.setHandler(graceful);
    try {
      server.start();
    } catch (IOException e) {
      stopQuietly();
      throw e;
    } catch (Exception e) {
      stopQuietly();
      throw new IOException("cannot start " + b.name + " on " + b.host + ":" + b.port, e);
    }
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The port listened on (the ephemeral one when started with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** Where it listens, as {@code scheme://host:port} (for logs). */
  public String address() {
    return scheme + "://" + host + ":" + port();
  }

  /** Stops taking requests, lets running ones finish within the grace period, frees the threads. */
  @Override
  public void close() {
    stopQuietly();
  }

  private void stopQuietly() {
    try {
      server.stop();
    } catch (Exception e) {
      log.warn("{}: stopping the HTTP server failed: {}", name, e.getClass().getName());
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Matches routes, checks and reads bodies, runs handlers under the limits. */
  private static final class Routing extends Handler.Abstract {
    private final List<Route> routes;
    private final Function<Throwable, HttpError> errors;
    private final Consumer<Exchange> onAnswered;
    private final Scheduler scheduler;
    private final HttpLimits limits;
    private final int maxBodyBytes;
    private final Function<Integer, HttpError> bodyTooLarge;
    private final ThreadPoolExecutor blocking;
    private final String name;
    private final ConnectionGuard guard;
    private final Consumer<Exchange> beforeBody;
    private final AtomicLong buffered = new AtomicLong();
    private final long bodyBudget;
    private final long addressBudget;

    /** The body bytes each address holds now; an address holding none has no entry. */
    private final Map<String, Long> heldByAddress = new ConcurrentHashMap<>();

    private final TrustedProxies trustedProxies;

    Routing(Builder b, Scheduler scheduler, ConnectionGuard guard) {
      this.trustedProxies = b.trustedProxies;
      this.routes = List.copyOf(b.routes);
      this.errors = b.errors;
      this.onAnswered = b.onAnswered;
      this.scheduler = scheduler;
      this.limits = b.limits;
      this.maxBodyBytes = b.maxBodyBytes;
      this.bodyTooLarge = b.bodyTooLarge;
      this.name = b.name;
      this.guard = guard;
      this.beforeBody = b.beforeBody;
      this.bodyBudget = b.bodyBudget > 0 ? b.bodyBudget : Math.max(32L << 20, 2L * b.maxBodyBytes);
      this.addressBudget =
          b.addressBudget > 0
              ? Math.min(b.addressBudget, bodyBudget)
              : Math.min(bodyBudget, Math.max(bodyBudget / 4, 2L * b.maxBodyBytes));
      AtomicInteger threads = new AtomicInteger();
      this.blocking =
          new ThreadPoolExecutor(
              b.limits.maxBlockingRequests(),
              b.limits.maxBlockingRequests(),
              60,
              TimeUnit.SECONDS,
              b.limits.maxQueuedRequests() == 0
                  ? new SynchronousQueue<>()
                  : new ArrayBlockingQueue<>(b.limits.maxQueuedRequests()),
              r -> {
                Thread t = new Thread(r, b.name + "-blocking-" + threads.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
      this.blocking.allowCoreThreadTimeOut(true);
    }

    @Override
    protected void doStop() throws Exception {
      super.doStop();
      blocking.shutdown();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      Connection connection = request.getConnectionMetaData().getConnection();
      guard.requestStarted(connection);
      Scheduler.Task[] timeout = new Scheduler.Task[1];
      String client =
          trustedProxies.client(
              Request.getRemoteAddr(request),
              request.getHeaders().getValuesList(TrustedProxies.X_FORWARDED_FOR));
      BodyLease lease = new BodyLease(client);
      Exchange exchange =
          new Exchange(
              request,
              client,
              response,
              callback,
              answered -> {
                if (timeout[0] != null) {
                  timeout[0].cancel();
                }
                lease.release();
                guard.requestEnded(connection);
                onAnswered.accept(answered);
              });
      timeout[0] =
          scheduler.schedule(
              () -> exchange.fail(timedOut(request.getMethod())),
              limits.requestTimeout().toMillis(),
              TimeUnit.MILLISECONDS);
      try {
        String path = exchange.rawPath();
        Route route = null;
        String parameter = null;
        for (Route candidate : routes) {
          parameter = candidate.match(path);
          if (parameter != null) {
            route = candidate;
            break;
          }
        }
        if (route == null) {
          throw new HttpError(404, "not_found", "no such route");
        }
        exchange.route(route.template());
        if (!route.methods().contains(request.getMethod())) {
          String allowed = String.join(", ", route.methods());
          throw new HttpError(
              405,
              "method_not_allowed",
              "method not allowed on " + route.template() + "; allowed: " + allowed,
              Map.of("Allow", allowed));
        }
        Route chosen = route;
        String param = parameter;
        if (route.jsonBody() && request.getMethod().matches("PUT|POST|PATCH")) {
          checkJson(exchange);
          int declared = declaredLength(exchange);
          beforeBody.accept(exchange);
          new BodyReader(
                  request,
                  declared,
                  lease,
                  body -> {
                    exchange.body(body);
                    run(exchange, chosen, param);
                  },
                  failure -> exchange.fail(failure))
              .read();
        } else {
          run(exchange, chosen, param);
        }
      } catch (HttpError e) {
        exchange.fail(e);
      } catch (RuntimeException e) {
        exchange.fail(errors.apply(e));
      }
      return true;
    }

    private void run(Exchange exchange, Route route, String parameter) {
      if (!route.blocking()) {
        serve(exchange, route, parameter);
        return;
      }
      try {
        blocking.execute(
            () -> {
              // Answered already: it waited past the request timeout, or the server stopped.
              if (exchange.answered()) {
                Arrays.fill(exchange.body(), (byte) 0);
                return;
              }
              serve(exchange, route, parameter);
            });
      } catch (RejectedExecutionException e) {
        Arrays.fill(exchange.body(), (byte) 0);
        exchange.fail(
            new HttpError(
                503,
                "busy",
                "the server is serving and queueing as many requests as it may; try again",
                Map.of("Retry-After", "1")));
      }
    }

    private void serve(Exchange exchange, Route route, String parameter) {
      try {
        route.handler().handle(exchange, parameter);
        if (!exchange.answered()) {
          log.error("{}: route {} returned without an answer", name, route.template());
          exchange.fail(new HttpError(500, "internal_error", "internal error"));
        }
      } catch (HttpError e) {
        exchange.fail(e);
      } catch (Exception | Error e) {
        exchange.fail(errors.apply(e));
      } finally {
        Arrays.fill(exchange.body(), (byte) 0);
      }
    }

    /**
     * The answer to a request past its time. A reading method may simply be sent again; a writing
     * one may still take effect after this answer (its handler is not stopped), so it says so.
     */
    private HttpError timedOut(String method) {
      boolean reading = method.equals("GET") || method.equals("HEAD");
      return new HttpError(
          503,
          "request_timeout",
          "the request was not answered within "
              + limits.requestTimeout().toSeconds()
              + " s; "
              + (reading ? "try again" : "it may still take effect: look before you send it again"),
          Map.of("Retry-After", "1", "Connection", "close"));
    }

    private static void checkJson(Exchange exchange) {
      String type = exchange.header(HttpHeader.CONTENT_TYPE.asString());
      String[] parts = type == null ? new String[] {""} : type.split(";");
      String mime = parts[0].trim();
      if (!mime.equalsIgnoreCase("application/json")) {
        throw new HttpError(
            415,
            "unsupported_media_type",
            type == null
                ? "the request has no Content-Type; send \"Content-Type: application/json\""
                : "the body must be sent as \"Content-Type: application/json\"",
            Map.of("Accept", "application/json"));
      }
      // Media-type parameters (RFC 9110, 5.6.6): name=value or name="value", names and the
      // charset's value compared without case; a charset other than UTF-8 is refused, other
      // parameters are ignored.
      for (int i = 1; i < parts.length; i++) {
        String parameter = parts[i].trim();
        if (parameter.isEmpty()) {
          continue;
        }
        int eq = parameter.indexOf('=');
        if (eq <= 0) {
          throw new HttpError(
              415,
              "unsupported_media_type",
              "the Content-Type has a malformed parameter; send \"Content-Type: application/json\"");
        }
        String key = parameter.substring(0, eq).trim();
        String value = parameter.substring(eq + 1).trim();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
          value = value.substring(1, value.length() - 1);
        }
        if (key.equalsIgnoreCase("charset") && !value.equalsIgnoreCase("utf-8")) {
          throw new HttpError(
              415, "unsupported_media_type", "JSON bodies must be UTF-8 (charset=utf-8 or none)");
        }
      }
    }

    private int declaredLength(Exchange exchange) {
      String length = exchange.contentLength();
      if (length == null) {
        return -1;
      }
      long declared;
      try {
        declared = Long.parseLong(length.trim());
      } catch (NumberFormatException e) {
        throw HttpError.badRequest("bad_request", "invalid Content-Length");
      }
      if (declared > maxBodyBytes) {
        throw bodyTooLarge.apply(maxBodyBytes);
      }
      return (int) declared;
    }

    /**
     * The bytes of body buffers one request holds against the endpoint's budget ({@link
     * Builder#bodyBudget}), given back once, when the request is answered or its body fails. Once
     * given back it takes no more: a body still arriving after the answer is refused.
     */
    private final class BodyLease {
      private final String address;
      private long held;
      private boolean released;

      BodyLease(String address) {
        this.address = address == null ? "" : address;
      }

      synchronized boolean take(long bytes) {
        if (released) {
          return false;
        }
        // An address's share first: the bodies of one client (a token is checked once its body
        // has come) never hold the whole budget, whatever they declare or how slowly they send.
        boolean[] fits = new boolean[1];
        heldByAddress.compute(
            address,
            (a, now) -> {
              long after = (now == null ? 0 : now) + bytes;
              fits[0] = after <= addressBudget;
              return fits[0] ? Long.valueOf(after) : now;
            });
        if (!fits[0]) {
          return false;
        }
        if (buffered.addAndGet(bytes) > bodyBudget) {
          buffered.addAndGet(-bytes);
          giveBack(bytes);
          return false;
        }
        held += bytes;
        return true;
      }

      synchronized void release() {
        released = true;
        buffered.addAndGet(-held);
        giveBack(held);
        held = 0;
      }

      private void giveBack(long bytes) {
        if (bytes > 0) {
          heldByAddress.computeIfPresent(
              address, (a, now) -> now - bytes <= 0 ? null : Long.valueOf(now - bytes));
        }
      }
    }

    /**
     * Reads a body as it arrives, on no thread of its own; zeroes every copy it lets go of. Its
     * buffer grows with what arrives (never to more than was declared), so a declared length costs
     * nothing until the bytes come, and all buffers of the endpoint together stay within its
     * budget: beyond it, 503.
     */
    private final class BodyReader {
      private static final int FIRST_BUFFER = 16 * 1024;

      private final Request request;
      private final int declared;
      private final BodyLease lease;
      private final Consumer<byte[]> done;
      private final Consumer<HttpError> failed;
      private byte[] buffer = new byte[0];
      private int size;

      BodyReader(
          Request request,
          int declared,
          BodyLease lease,
          Consumer<byte[]> done,
          Consumer<HttpError> failed) {
        this.request = request;
        this.declared = declared;
        this.lease = lease;
        this.done = done;
        this.failed = failed;
      }

      private void fail(HttpError error) {
        Arrays.fill(buffer, (byte) 0);
        lease.release();
        failed.accept(error);
      }

      /** Room for {@code needed} bytes in all, or false when the budget has none. */
      private boolean grow(int needed) {
        if (needed <= buffer.length) {
          return true;
        }
        int cap = declared >= 0 ? declared : maxBodyBytes;
        int length =
            (int) Math.min(cap, Math.max(needed, Math.max(FIRST_BUFFER, 2L * buffer.length)));
        length = Math.max(length, needed);
        if (!lease.take(length - buffer.length)) {
          return false;
        }
        byte[] grown = Arrays.copyOf(buffer, length);
        Arrays.fill(buffer, (byte) 0);
        buffer = grown;
        return true;
      }

      void read() {
        while (true) {
          Content.Chunk chunk = request.read();
          if (chunk == null) {
            request.demand(this::read);
            return;
          }
          if (Content.Chunk.isFailure(chunk)) {
            fail(
                new HttpError(
                    400,
                    "bad_request",
                    "the request body could not be read (too slow, cut off or malformed)",
                    Map.of("Connection", "close")));
            return;
          }
          ByteBuffer bytes = chunk.getByteBuffer();
          int n = bytes.remaining();
          if ((long) size + n > maxBodyBytes || (declared >= 0 && (long) size + n > declared)) {
            chunk.release();
            fail(bodyTooLarge.apply(maxBodyBytes));
            return;
          }
          if (!grow(size + n)) {
            chunk.release();
            fail(
                new HttpError(
                    503,
                    "busy",
                    "the server holds as many request bodies as it may; try again",
                    Map.of("Retry-After", "1", "Connection", "close")));
            return;
          }
          bytes.get(buffer, size, n);
          size += n;
          boolean last = chunk.isLast();
          chunk.release();
          if (last) {
            byte[] body = size == buffer.length ? buffer : Arrays.copyOf(buffer, size);
            if (body != buffer) {
              Arrays.fill(buffer, (byte) 0);
            }
            done.accept(body);
            return;
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Wiring of an {@link HttpEndpoint}. */
  public static final class Builder {
    /** For endpoints whose routes take no body. */
    public static final Function<Integer, HttpError> NO_BODY =
        cap -> new HttpError(413, "body_too_large", "this endpoint takes no request body");

    private final String name;
    private String host = "0.0.0.0";
    private int port;
    private HttpLimits limits = HttpLimits.defaults();
    private SslContextFactory.Server tls;
    private final List<Route> routes = new ArrayList<>();
    private Function<Throwable, HttpError> errors =
        e -> new HttpError(500, "internal_error", "internal error");
    private Consumer<Exchange> onAnswered = e -> {};
    private int maxBodyBytes = 64 * 1024;
    private long bodyBudget;
    private long addressBudget;
    private TrustedProxies trustedProxies = TrustedProxies.none();
    private Consumer<Exchange> beforeBody = e -> {};
    private Function<Integer, HttpError> bodyTooLarge =
        cap ->
            new HttpError(
                413,
                "body_too_large",
                "the request body is larger than " + cap + " bytes",
                Map.of("Connection", "close"));

    private Builder(String name) {
      this.name = Objects.requireNonNull(name);
    }

    public Builder host(String host) {
      this.host = Objects.requireNonNull(host);
      return this;
    }

    /** 0 picks a free port; see {@link HttpEndpoint#port()}. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Timeouts, threads, connections and sizes (default {@link HttpLimits#defaults()}). */
    public Builder limits(HttpLimits limits) {
      this.limits = Objects.requireNonNull(limits);
      return this;
    }

    /** How long {@link HttpEndpoint#close()} lets running requests finish. */
    public Builder shutdownGrace(Duration shutdownGrace) {
      this.limits = limits.withShutdownGrace(shutdownGrace);
      return this;
    }

    /** Serves HTTPS with this context (null: plain HTTP). */
    public Builder tls(SslContextFactory.Server tls) {
      this.tls = tls;
      return this;
    }

    public Builder route(Route route) {
      routes.add(route);
      return this;
    }

    /** Turns what a handler threw (other than {@link HttpError}) into the answer; logs it too. */
    public Builder errors(Function<Throwable, HttpError> errors) {
      this.errors = Objects.requireNonNull(errors);
      return this;
    }

    /** Called once per request, when it is answered (for the access log and metrics). */
    public Builder onAnswered(Consumer<Exchange> onAnswered) {
      this.onAnswered = Objects.requireNonNull(onAnswered);
      return this;
    }

    /** The largest body read, and the answer to a larger one. */
    public Builder maxBody(int bytes, Function<Integer, HttpError> tooLarge) {
      this.maxBodyBytes = bytes;
      this.bodyTooLarge = Objects.requireNonNull(tooLarge);
      return this;
    }

    /**
     * The most bytes of request bodies held at once, by all requests together (default: 32 MiB or
     * twice the largest body, whichever is more); a body that would pass it gets 503.
     */
    public Builder bodyBudget(long bytes) {
      this.bodyBudget = bytes;
      return this;
    }

    /**
     * The most bytes of request bodies one client address holds at once (default: a quarter of the
     * budget, at least twice the largest body), so that one client's slow or stalled bodies leave
     * the others room; a body that would pass it gets 503.
     */
    public Builder bodyBudgetPerAddress(long bytes) {
      this.addressBudget = bytes;
      return this;
    }

    /**
     * The proxies whose {@code X-Forwarded-For} tells a request's client address (default: none),
     * for the limits kept per client address ({@link TrustedProxies}).
     */
    public Builder trustedProxies(TrustedProxies proxies) {
      this.trustedProxies = Objects.requireNonNull(proxies);
      return this;
    }

    /**
     * A cheap check of a request's headers before its body is read (for example, that it carries
     * credentials at all); it answers by throwing {@link HttpError}. It runs on Jetty's thread and
     * must not block.
     */
    public Builder beforeBody(Consumer<Exchange> check) {
      this.beforeBody = Objects.requireNonNull(check);
      return this;
    }

    public HttpEndpoint start() throws IOException {
      return new HttpEndpoint(this);
    }
  }
}
