package io.nbsecrets.apiserver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A client of a Jupyter server's REST and kernel APIs, as JupyterLab's front end uses them: start a
 * kernel ({@code POST /api/kernels}), run a cell over the kernel's WebSocket channels (Jupyter
 * messaging protocol 5.3: an {@code execute_request} on the shell channel), and collect what it
 * printed until the kernel is idle again.
 */
final class JupyterKernel {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final String base;
  private final String token;

  /** {@code base} is {@code http://host:port}; {@code token} the server's. */
  JupyterKernel(String base, String token) {
    this.base = base;
    this.token = token;
  }

  /** The server's {@code /api/status} answers 200. */
  boolean up() {
    try {
      return http.send(get("/api/status"), HttpResponse.BodyHandlers.discarding()).statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Starts a Python kernel, runs {@code code} as one cell, returns its standard output. */
  String run(String code, Duration timeout) throws IOException, InterruptedException {
    HttpResponse<String> started =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/kernels"))
                .header("Authorization", "token " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"python3\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (started.statusCode() != 201) {
      throw new IOException("POST /api/kernels: " + started.statusCode() + " " + started.body());
    }
    String kernel = JSON.readTree(started.body()).get("id").asText();
    String msgId = UUID.randomUUID().toString();
    StringBuilder stdout = new StringBuilder();
    CompletableFuture<String> done = new CompletableFuture<>();
    WebSocket.Listener listener =
        new WebSocket.Listener() {
          private final StringBuilder frame = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            frame.append(data);
            if (last) {
              handle(frame.toString());
              frame.setLength(0);
            }
            ws.request(1);
            return null;
          }

          private void handle(String text) {
            try {
              JsonNode msg = JSON.readTree(text);
              if (!msgId.equals(msg.path("parent_header").path("msg_id").asText())) {
                return;
              }
              String type = msg.path("header").path("msg_type").asText();
              JsonNode content = msg.path("content");
              switch (type) {
                case "stream" -> stdout.append(content.path("text").asText());
                case "error" ->
                    done.completeExceptionally(
                        new IOException(
                            "the cell failed: "
                                + content.path("ename").asText()
                                + ": "
                                + content.path("evalue").asText()));
                case "status" -> {
                  if ("idle".equals(content.path("execution_state").asText())) {
                    done.complete(stdout.toString());
                  }
                }
                default -> {}
              }
            } catch (IOException e) {
              done.completeExceptionally(e);
            }
          }
        };
    WebSocket ws =
        http.newWebSocketBuilder()
            .header("Authorization", "token " + token)
            .buildAsync(
                URI.create(
                    base.replaceFirst("^http", "ws") + "/api/kernels/" + kernel + "/channels"),
                listener)
            .join();
    try {
      ws.sendText(JSON.writeValueAsString(executeRequest(msgId, code)), true).join();
      return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IOException("no answer from kernel " + kernel + " within " + timeout, e);
    } finally {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(t -> null);
      http.send(
          HttpRequest.newBuilder(URI.create(base + "/api/kernels/" + kernel))
              .header("Authorization", "token " + token)
              .DELETE()
              .build(),
          HttpResponse.BodyHandlers.discarding());
    }
  }

  private static ObjectNode executeRequest(String msgId, String code) {
    ObjectNode msg = JSON.createObjectNode();
    ObjectNode header = msg.putObject("header");
    header.put("msg_id", msgId);
    header.put("username", "nbsecrets-test");
    header.put("session", UUID.randomUUID().toString());
    header.put("msg_type", "execute_request");
    header.put("version", "5.3");
    header.put("date", Instant.now().toString());
    msg.putObject("parent_header");
    msg.putObject("metadata");
    ObjectNode content = msg.putObject("content");
    content.put("code", code);
    content.put("silent", false);
    content.put("store_history", false);
    content.putObject("user_expressions");
    content.put("allow_stdin", false);
    content.put("stop_on_error", true);
    msg.put("channel", "shell");
    msg.putArray("buffers");
    return msg;
  }

  private HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create(base + path))
        .header("Authorization", "token " + token)
        .timeout(Duration.ofSeconds(5))
        .GET()
        .build();
  }
}
