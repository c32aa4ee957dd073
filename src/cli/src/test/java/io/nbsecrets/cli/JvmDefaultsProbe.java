package io.nbsecrets.cli;

import com.sun.net.httpserver.HttpServer;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;

/**
 * Run in a JVM of its own by {@link JvmDefaultsTest} (the settings are read once per JVM).
 *
 * <ul>
 *   <li>{@code main}: the jar's entry point ({@code --version}); prints, as it exits, the common
 *       pool's size and which executor runs {@code CompletableFuture}'s asynchronous steps.
 *   <li>{@code http} / {@code http-bare}: with and without {@link JvmDefaults#apply}, 200 requests
 *       through the JDK's HTTP client given an executor (as the Kubernetes client gives it); prints
 *       how many threads the JVM started meanwhile.
 * </ul>
 */
public final class JvmDefaultsProbe {
  static final int REQUESTS = 200;

  private JvmDefaultsProbe() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "main" -> {
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () ->
                        System.out.println(
                            "parallelism="
                                + ForkJoinPool.getCommonPoolParallelism()
                                + " executor="
                                + new CompletableFuture<Void>()
                                    .defaultExecutor()
                                    .getClass()
                                    .getName())));
        Main.main(new String[] {"--version"});
      }
      case "http" -> {
        JvmDefaults.apply();
        http();
      }
      case "http-bare" -> http();
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  private static void http() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          byte[] body = "ok".getBytes(StandardCharsets.US_ASCII);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    ExecutorService serverThreads = Executors.newFixedThreadPool(2);
    server.setExecutor(serverThreads);
    server.start();
    ExecutorService clientThreads = Executors.newFixedThreadPool(2);
    HttpClient client = HttpClient.newBuilder().executor(clientThreads).build();
    URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    // The first exchange starts the pools' threads; count from the second.
    client
        .sendAsync(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
        .get();
    long before = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
    for (int i = 0; i < REQUESTS; i++) {
      client
          .sendAsync(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
          .thenApply(HttpResponse::body)
          .get();
    }
    long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - before;
    System.out.println(
        "threads started="
            + started
            + " executor="
            + new CompletableFuture<Void>().defaultExecutor().getClass().getName());
    server.stop(0);
    serverThreads.shutdownNow();
    clientThreads.shutdownNow();
    System.exit(0);
  }
}
