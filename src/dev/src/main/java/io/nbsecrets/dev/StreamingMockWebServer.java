package io.nbsecrets.dev;

import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.HttpUrl;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.QueueDispatcher;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.vertx.ServerWebSocketHandler;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The Fabric8 mock web server's HTTP front (plain HTTP, Vert.x), with one addition: an answer can
 * be a {@link WatchStream}, whose events are written as they happen over a chunked response, the
 * way the API server streams a watch to client-go (kubectl). The mock itself only writes whole
 * bodies, so it can stream a watch only over WebSocket, which client-go does not use. Everything
 * else behaves as in {@link MockWebServer}: dispatching, WebSocket upgrades, recorded requests.
 *
 * <p>Vert.x is used through reflection ({@link Vx}): compiling against its API makes javac warn
 * about the vertx-codegen annotations, which are not on the class path, and the build must stay
 * free of warnings.
 */
final class StreamingMockWebServer extends MockWebServer {
  private static final List<String> WEBSOCKET_SUB_PROTOCOLS =
      List.of("v1.channel.k8s.io", "v2.channel.k8s.io", "v3.channel.k8s.io", "v4.channel.k8s.io");

  /**
   * A response that streams: {@code start} is called once the status line and headers are sent,
   * with a sink for the body's lines, and returns what stops the stream (the client went away). On
   * a server that cannot stream, the response's own body is sent instead.
   */
  static final class WatchStream extends MockResponse {
    /** Where a stream's lines go. */
    interface Sink {
      /** Writes one line (an event) to the client; false once the client is gone. */
      boolean send(String line);

      /** Ends the response. */
      void end();
    }

    private final Function<Sink, Runnable> start;
    private final long timeoutSeconds;

    WatchStream(Function<Sink, Runnable> start, long timeoutSeconds) {
      this.start = start;
      this.timeoutSeconds = timeoutSeconds;
    }
  }

  private final Object vertx;
  private final BlockingQueue<RecordedRequest> requests = new LinkedBlockingQueue<>();
  private final AtomicInteger requestCount = new AtomicInteger();
  private volatile Dispatcher dispatcher = new QueueDispatcher();
  private Object httpServer;
  private String hostName;
  private int port;

  StreamingMockWebServer() {
    vertx = inheritedVertx(this);
  }

  /** The Vert.x instance the superclass created (and would otherwise leave idle). */
  private static Object inheritedVertx(MockWebServer server) {
    try {
      Field f = MockWebServer.class.getDeclaredField("vertx");
      f.setAccessible(true);
      return f.get(server);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return Vx.call(null, Vx.method(Vx.VERTX, "vertx"));
    }
  }

  @Override
  public synchronized void start(InetAddress address, int requestedPort) {
    if (httpServer != null) {
      throw new IllegalStateException("start() already called");
    }
    hostName = address.getHostName().equals("127.0.0.1") ? "localhost" : address.getHostName();
    Object options = Vx.newInstance(Vx.SERVER_OPTIONS);
    Vx.call(
        options, Vx.method(Vx.SERVER_OPTIONS, "setHost", String.class), address.getHostAddress());
    Vx.call(options, Vx.method(Vx.SERVER_OPTIONS, "setPort", int.class), requestedPort);
    Vx.call(
        options,
        Vx.method(Vx.SERVER_OPTIONS, "setWebSocketSubProtocols", List.class),
        WEBSOCKET_SUB_PROTOCOLS);
    Vx.call(
        options,
        Vx.method(Vx.SERVER_OPTIONS, "setHandle100ContinueAutomatically", boolean.class),
        true);
    httpServer =
        Vx.call(vertx, Vx.method(Vx.VERTX, "createHttpServer", Vx.SERVER_OPTIONS), options);
    Vx.call(
        httpServer, Vx.method(Vx.SERVER, "requestHandler", Vx.HANDLER), Vx.handler(this::handle));
    Object listening =
        await(
            Vx.call(httpServer, Vx.method(Vx.SERVER, "listen")),
            "Unable to start the embedded API server");
    port = (Integer) Vx.call(listening, Vx.method(Vx.SERVER, "actualPort"));
  }

  @Override
  public synchronized void shutdown() {
    if (httpServer == null) {
      return;
    }
    dispatcher.shutdown();
    try {
      await(
          Vx.call(httpServer, Vx.method(Vx.SERVER, "close")),
          "Unable to stop the embedded API server");
    } finally {
      httpServer = null;
      await(Vx.call(vertx, Vx.method(Vx.VERTX, "close")), "Unable to close Vert.x");
    }
  }

  @Override
  public int getPort() {
    return port;
  }

  @Override
  public String getHostName() {
    return hostName;
  }

  @Override
  public java.net.Proxy toProxyAddress() {
    return new java.net.Proxy(java.net.Proxy.Type.HTTP, new InetSocketAddress(hostName, port));
  }

  @Override
  public HttpUrl url(String path) {
    String p = path.startsWith("/") ? path.substring(1) : path;
    return HttpUrl.parse("http://" + hostName + ":" + port + "/" + p);
  }

  @Override
  public RecordedRequest takeRequest() throws InterruptedException {
    return requests.take();
  }

  @Override
  public RecordedRequest takeRequest(long timeout, TimeUnit unit) throws InterruptedException {
    return requests.poll(timeout, unit);
  }

  @Override
  public int getRequestCount() {
    return requestCount.get();
  }

  @Override
  public void setDispatcher(Dispatcher dispatcher) {
    this.dispatcher = dispatcher;
  }

  @Override
  public void useHttps() {
    throw new UnsupportedOperationException("the embedded API server speaks plain HTTP");
  }

  /** One request, as the mock web server handles it, plus {@link WatchStream}s. */
  private void handle(Object event) {
    Object response = Vx.call(event, Vx.method(Vx.REQUEST, "response"));
    Consumer<Object> failed =
        err -> {
          if (!(Boolean) Vx.call(response, Vx.method(Vx.RESPONSE, "headWritten"))) {
            Vx.call(response, Vx.method(Vx.RESPONSE, "setStatusCode", int.class), 500);
            Vx.call(
                response,
                Vx.method(Vx.RESPONSE, "setStatusMessage", String.class),
                String.valueOf(((Throwable) err).getMessage()));
            Vx.call(response, Vx.method(Vx.RESPONSE, "send"));
          }
        };
    Vx.call(event, Vx.method(Vx.REQUEST, "resume"));
    Map<String, List<String>> headerMap =
        Vx.headers(Vx.call(event, Vx.method(Vx.REQUEST, "headers")));
    Headers.Builder headers = Headers.builder();
    headerMap.forEach((k, vs) -> vs.forEach(v -> headers.add(k, v)));
    Consumer<Object> withBody =
        bytes -> {
          String version =
              (String)
                  Vx.call(
                      Vx.call(event, Vx.method(Vx.REQUEST, "version")),
                      Vx.method(Vx.HTTP_VERSION, "alpnName"));
          String method =
              (String)
                  Vx.call(
                      Vx.call(event, Vx.method(Vx.REQUEST, "method")),
                      Vx.method(Vx.HTTP_METHOD, "name"));
          RecordedRequest request =
              new RecordedRequest(
                  version.toUpperCase(Locale.ROOT),
                  HttpMethod.valueOf(method),
                  (String) Vx.call(event, Vx.method(Vx.REQUEST, "uri")),
                  headers.build(),
                  new Buffer(
                      bytes == null
                          ? null
                          : (byte[]) Vx.call(bytes, Vx.method(Vx.BUFFER, "getBytes"))));
          requestCount.incrementAndGet();
          requests.add(request);
          MockResponse answer;
          try {
            answer = dispatcher.dispatch(request);
          } catch (RuntimeException e) {
            failed.accept(e);
            return;
          }
          if (answer.getWebSocketListener() != null) {
            Object upgrade = Vx.call(event, Vx.method(Vx.REQUEST, "toWebSocket"));
            Vx.call(upgrade, Vx.method(Vx.FUTURE, "onFailure", Vx.HANDLER), Vx.handler(failed));
            Vx.call(
                upgrade,
                Vx.method(Vx.FUTURE, "onSuccess", Vx.HANDLER),
                new ServerWebSocketHandler(request, answer));
            return;
          }
          Vx.call(response, Vx.method(Vx.RESPONSE, "setStatusCode", int.class), answer.code());
          Object out = Vx.call(response, Vx.method(Vx.RESPONSE, "headers"));
          answer
              .getHeaders()
              .toMultimap()
              .forEach(
                  (k, vs) ->
                      vs.forEach(
                          v ->
                              Vx.call(
                                  out,
                                  Vx.method(Vx.MULTI_MAP, "add", String.class, String.class),
                                  k,
                                  v)));
          if (answer instanceof WatchStream stream) {
            stream(response, stream);
            return;
          }
          Buffer content = answer.getBody();
          if (content != null && content.size() > 0) {
            Vx.call(
                out,
                Vx.method(Vx.MULTI_MAP, "add", String.class, String.class),
                "Content-Length",
                String.valueOf(content.size()));
            Object toSend =
                Vx.call(
                    null,
                    Vx.method(Vx.BUFFER, "buffer", byte[].class),
                    (Object) content.getBytes());
            Runnable send =
                () -> Vx.call(response, Vx.method(Vx.RESPONSE, "send", Vx.BUFFER), toSend);
            if (answer.getBodyDelay() != null) {
              Vx.call(
                  vertx,
                  Vx.method(Vx.VERTX, "setTimer", long.class, Vx.HANDLER),
                  answer.getBodyDelay().toMillis(),
                  Vx.handler(id -> send.run()));
            } else {
              send.run();
            }
          } else {
            Vx.call(response, Vx.method(Vx.RESPONSE, "end"));
          }
        };
    if (hasBody(headerMap)) {
      Object body = Vx.call(event, Vx.method(Vx.REQUEST, "body"));
      Vx.call(body, Vx.method(Vx.FUTURE, "onFailure", Vx.HANDLER), Vx.handler(failed));
      Vx.call(body, Vx.method(Vx.FUTURE, "onSuccess", Vx.HANDLER), Vx.handler(withBody));
    } else {
      withBody.accept(null);
    }
  }

  private void stream(Object out, WatchStream stream) {
    Vx.call(out, Vx.method(Vx.RESPONSE, "setChunked", boolean.class), true);
    AtomicBoolean open = new AtomicBoolean(true);
    WatchStream.Sink sink =
        new WatchStream.Sink() {
          private boolean usable() {
            return open.get()
                && !(Boolean) Vx.call(out, Vx.method(Vx.RESPONSE, "closed"))
                && !(Boolean) Vx.call(out, Vx.method(Vx.RESPONSE, "ended"));
          }

          @Override
          public boolean send(String line) {
            if (!usable()) {
              return false;
            }
            Vx.call(
                out,
                Vx.method(Vx.RESPONSE, "write", String.class),
                line.endsWith("\n") ? line : line + "\n");
            return true;
          }

          @Override
          public void end() {
            if (usable() && open.compareAndSet(true, false)) {
              Vx.call(out, Vx.method(Vx.RESPONSE, "end"));
            }
          }
        };
    Object head = Vx.call(out, Vx.method(Vx.RESPONSE, "writeHead"));
    Vx.call(head, Vx.method(Vx.FUTURE, "onFailure", Vx.HANDLER), Vx.handler(e -> open.set(false)));
    Vx.call(
        head,
        Vx.method(Vx.FUTURE, "onSuccess", Vx.HANDLER),
        Vx.handler(
            v -> {
              Runnable stop = stream.start.apply(sink);
              AtomicBoolean stopped = new AtomicBoolean();
              long timer =
                  (Long)
                      Vx.call(
                          vertx,
                          Vx.method(Vx.VERTX, "setTimer", long.class, Vx.HANDLER),
                          TimeUnit.SECONDS.toMillis(Math.max(1, stream.timeoutSeconds)),
                          Vx.handler(id -> sink.end()));
              Object finish =
                  Vx.handler(
                      x -> {
                        open.set(false);
                        Vx.call(vertx, Vx.method(Vx.VERTX, "cancelTimer", long.class), timer);
                        if (stopped.compareAndSet(false, true)) {
                          stop.run();
                        }
                      });
              Vx.call(out, Vx.method(Vx.RESPONSE, "closeHandler", Vx.HANDLER), finish);
              Vx.call(out, Vx.method(Vx.RESPONSE, "endHandler", Vx.HANDLER), finish);
            }));
  }

  private static boolean hasBody(Map<String, List<String>> headers) {
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase("Content-Length")) {
        String length = e.getValue().isEmpty() ? "" : e.getValue().get(0).trim();
        if (!length.isEmpty() && Integer.parseInt(length) > 0) {
          return true;
        }
      }
      if (e.getKey().equalsIgnoreCase("Content-Type")) {
        return true;
      }
    }
    return false;
  }

  private static Object await(Object future, String message) {
    CompletionStage<?> stage =
        (CompletionStage<?>) Vx.call(future, Vx.method(Vx.FUTURE, "toCompletionStage"));
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(message, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(message, e);
    }
  }

  /** The few Vert.x 4 calls this server makes, by reflection on Vert.x's public interfaces. */
  private static final class Vx {
    static final Class<?> VERTX = load("io.vertx.core.Vertx");
    static final Class<?> HANDLER = load("io.vertx.core.Handler");
    static final Class<?> FUTURE = load("io.vertx.core.Future");
    static final Class<?> BUFFER = load("io.vertx.core.buffer.Buffer");
    static final Class<?> MULTI_MAP = load("io.vertx.core.MultiMap");
    static final Class<?> SERVER = load("io.vertx.core.http.HttpServer");
    static final Class<?> SERVER_OPTIONS = load("io.vertx.core.http.HttpServerOptions");
    static final Class<?> REQUEST = load("io.vertx.core.http.HttpServerRequest");
    static final Class<?> RESPONSE = load("io.vertx.core.http.HttpServerResponse");
    static final Class<?> HTTP_VERSION = load("io.vertx.core.http.HttpVersion");
    static final Class<?> HTTP_METHOD = load("io.vertx.core.http.HttpMethod");
    private static final Map<String, Method> METHODS =
        new java.util.concurrent.ConcurrentHashMap<>();

    private Vx() {}

    private static Class<?> load(String name) {
      try {
        return Class.forName(name, true, MockWebServer.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("Vert.x is not on the class path", e);
      }
    }

    static Method method(Class<?> type, String name, Class<?>... parameters) {
      StringBuilder key = new StringBuilder(type.getName()).append('#').append(name);
      for (Class<?> p : parameters) {
        key.append(',').append(p.getName());
      }
      return METHODS.computeIfAbsent(
          key.toString(),
          k -> {
            try {
              return type.getMethod(name, parameters);
            } catch (NoSuchMethodException e) {
              throw new IllegalStateException("no Vert.x method " + k, e);
            }
          });
    }

    static Object call(Object target, Method m, Object... args) {
      try {
        return m.invoke(target, args);
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException(cause);
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }

    static Object newInstance(Class<?> type) {
      try {
        return type.getConstructor().newInstance();
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }

    /** A Vert.x Handler that runs {@code body}. */
    static Object handler(Consumer<Object> body) {
      return Proxy.newProxyInstance(
          HANDLER.getClassLoader(),
          new Class<?>[] {HANDLER},
          (proxy, m, args) ->
              switch (m.getName()) {
                case "handle" -> {
                  body.accept(args[0]);
                  yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> "nbsecrets-dev-handler";
                default -> null;
              });
    }

    /** A MultiMap's entries. */
    static Map<String, List<String>> headers(Object multiMap) {
      Map<String, List<String>> out = new java.util.LinkedHashMap<>();
      for (Object o : (Iterable<?>) multiMap) {
        Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
        out.computeIfAbsent(String.valueOf(e.getKey()), k -> new java.util.ArrayList<>())
            .add(String.valueOf(e.getValue()));
      }
      return out;
    }
  }
}
