package io.nbsecrets.api;

import static io.nbsecrets.api.SecretsApiTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.api.ApiFixture.Reply;
import io.nbsecrets.http.HttpLimits;
import io.nbsecrets.http.TrustedProxies;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * What a client that does not play fair can hold of the API: connections whose heads trickle in,
 * every connection from one address, request bodies declared and never sent. Each was found by a
 * red-team review to shut others out (the health probes included) or to run the API out of heap.
 * Slow clients of the usual kind are {@link SlowClientsTest}'s.
 */
class HostileClientsTest {
  private static final String PUT_HEAD = "PUT /api/v1/secrets/x HTTP/1.1\r\nHost: x\r\n";

  /** Where the hostile sockets come from: another loopback address than the test's own probes. */
  private static final InetAddress OTHER_ADDRESS = loopback(2);

  @Test
  void aRequestHeadThatTricklesInIsClosedAtItsDeadlineThoughEachByteResetsTheIdleTimeout()
      throws Exception {
    try (ApiFixture f =
        fixture(HttpLimits.defaults().withRequestHeadTimeout(Duration.ofSeconds(1)))) {
      // A byte every 200 ms: far inside the 30 s idle timeout, which each byte restarts.
      try (Socket s = socket(f)) {
        OutputStream out = s.getOutputStream();
        long start = System.nanoTime();
        byte[] head =
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
        boolean closed = false;
        for (int i = 0; i < 100 && !closed; i++) {
          try {
            out.write(head[Math.min(i, head.length - 1)]);
            out.flush();
          } catch (IOException e) {
            closed = true;
          }
          Thread.sleep(200);
          closed = closed || closedByServer(s);
        }
        Duration held = Duration.ofNanos(System.nanoTime() - start);
        assertThat(closed).as("the trickling connection was closed").isTrue();
        // The deadline (1 s) and a sweep (at most 250 ms late) and the byte's 200 ms.
        assertThat(held).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
      }
      // A connection that opens and sends nothing is held to the same deadline, not to the idle
      // timeout: its first request counts from the opening.
      try (Socket s = socket(f)) {
        long start = System.nanoTime();
        s.setSoTimeout(10_000);
        assertThat(s.getInputStream().read()).isEqualTo(-1);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
      }
      assertThat(f.get("/healthz", null).status()).isEqualTo(200);
    }
  }

  @Test
  void aKeptAliveConnectionIdlesUnderTheIdleTimeoutNotTheHeadsDeadline() throws Exception {
    try (ApiFixture f =
        fixture(HttpLimits.defaults().withRequestHeadTimeout(Duration.ofSeconds(1)))) {
      try (Socket s = socket(f)) {
        s.setSoTimeout(10_000);
        assertHealthy(s);
        // Three head deadlines of silence between two requests: the connection stays.
        Thread.sleep(3_000);
        assertHealthy(s);
      }
    }
  }

  @Test
  void oneAddressCannotTakeEveryConnection() throws Exception {
    try (ApiFixture f = fixture(HttpLimits.defaults().withConnections(64, 8))) {
      List<Socket> held = new ArrayList<>();
      try {
        healthyConnections(f, 8, held);
        // The ninth from the same address is closed as it opens.
        try (Socket ninth = socket(f)) {
          ninth.setSoTimeout(5_000);
          assertThat(readOrReset(ninth)).isEqualTo(-1);
        }
        // The eight it holds still stand, and another address is served.
        assertThat(held).noneMatch(HostileClientsTest::closedByServer);
        assertThat(f.get("/healthz", null).status()).isEqualTo(200);
      } finally {
        for (Socket s : held) {
          s.close();
        }
      }
      // Once it lets go, the address is served again.
      awaitServedAgain(f);
    }
  }

  @Test
  void aBodyWithoutABearerTokenIsRefusedBeforeItIsRead() throws Exception {
    // More connections from the one address than the default allows, to hold 300 at once.
    try (ApiFixture f = fixture(HttpLimits.defaults().withConnections(2048, 1024))) {
      int declared = f.config.maxBodyBytes();
      List<Socket> sockets = new ArrayList<>();
      try {
        // 300 anonymous PUTs declaring the largest body, each sending none of it: every one gets
        // its 401 at once (before, each got a buffer of the declared size, no token asked).
        for (int i = 0; i < 300; i++) {
          Socket s = socket(f);
          s.setSoTimeout(10_000);
          s.getOutputStream()
              .write(
                  (PUT_HEAD
                          + "Content-Type: application/json\r\nContent-Length: "
                          + declared
                          + "\r\n\r\n")
                      .getBytes(StandardCharsets.US_ASCII));
          sockets.add(s);
        }
        for (Socket s : sockets) {
          String answer = readHead(s);
          assertThat(answer).startsWith("HTTP/1.1 401").contains("missing bearer token");
        }
      } finally {
        for (Socket s : sockets) {
          s.close();
        }
      }
    }
  }

  @Test
  void bodiesHeldAtOnceStayWithinTheBudgetAndADeclaredLengthCostsNothingUntilItArrives()
      throws Exception {
    int budget = 1 << 20;
    try (ApiFixture f =
        new ApiFixture(ApiConfig.defaults(), b -> b.http(h -> h.bodyBudget(budget)))) {
      String token = f.userToken("budget");
      int declared = 200_000;
      List<Socket> sockets = new ArrayList<>();
      try {
        // 50 bodies of 200,000 declared bytes, 10 sent: 10 MB declared against a 1 MiB budget,
        // and a small PUT still goes through.
        for (int i = 0; i < 50; i++) {
          sockets.add(partialPut(f, token, declared, 10));
        }
        assertThat(f.put("small", token, "v").status()).isEqualTo(201);
        closeAll(sockets);

        // Bodies that do arrive count: ten of 100,000 bytes sent of 200,000 (a buffer of 128 KiB
        // each) need more than the budget, and those beyond it get 503 busy.
        for (int i = 0; i < 10; i++) {
          sockets.add(partialPut(f, token, declared, 100_000));
        }
        assertThat(busyAnswers(sockets)).as("bodies refused for the budget").isBetween(1, 9);
      } finally {
        closeAll(sockets);
      }
      // The budget comes back as those requests end.
      Awaitility.await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> f.put("after", token, "x".repeat(100_000)).status() == 201);
    }
  }

  /**
   * One address's stalled bodies (a token is checked only once its body has come, so anyone with a
   * token-shaped header gets this far) hold at most its share of the budget: another address's PUT
   * still goes through, where the bodies alone would have taken the whole budget.
   */
  @Test
  void oneAddressesStalledBodiesLeaveTheOthersRoom() throws Exception {
    int budget = 1 << 20;
    try (ApiFixture f =
        new ApiFixture(
            ApiConfig.defaults(),
            b -> b.http(h -> h.bodyBudget(budget).bodyBudgetPerAddress(budget / 4)))) {
      String token = f.userToken("share");
      List<Socket> sockets = new ArrayList<>();
      try {
        // Ten bodies of 100,000 bytes sent of 200,000: 1.25 MiB of buffers, over the whole budget.
        for (int i = 0; i < 10; i++) {
          sockets.add(partialPut(f, token, 200_000, 100_000));
        }
        // Two fit in the address's quarter; the others are refused.
        assertThat(busyAnswers(sockets)).as("bodies refused for the address's share").isEqualTo(8);
        assertThat(f.put("other", token, "x".repeat(100_000)).status()).isEqualTo(201);
      } finally {
        closeAll(sockets);
      }
    }
  }

  @Test
  void contentTypeParametersAreParsedAsRfc9110SaysAndAForeignCharsetIsRefused() {
    try (ApiFixture f = new ApiFixture()) {
      String token = f.userToken("media");
      for (String type :
          List.of(
              "application/json; charset=\"UTF-8\"",
              "application/json;charset=utf-8;profile=x",
              "Application/JSON ; Charset = utf-8")) {
        Reply r = putAs(f, token, type);
        assertThat(r.status()).as(type + ": " + r.body()).isIn(200, 201);
      }
      assertError(
          putAs(f, token, "application/json; charset=latin1"),
          415,
          "unsupported_media_type",
          "UTF-8");
      assertError(
          putAs(f, token, "application/json; nonsense"),
          415,
          "unsupported_media_type",
          "malformed parameter");
    }
  }

  @Test
  void aValueAtTheLimitSentWithJsonEscapesIsAccepted() {
    try (ApiFixture f = new ApiFixture()) {
      String token = f.userToken("escapes");
      // 65,536 times "é": 131,072 bytes of UTF-8, the limit; as Python's json.dumps writes it
      // ("\u00e9" each), 393,216 bytes of body.
      String value = "é".repeat(f.config.maxValueBytes() / 2);
      String body = "{\"value\":\"" + "\\u00e9".repeat(value.length()) + "\"}";
      Reply r = f.call("PUT", "/api/v1/secrets/ESCAPED", token, body);
      assertThat(r.status()).as(r.body()).isEqualTo(201);
      assertThat(f.decryptStored("escapes", "ESCAPED"))
          .isEqualTo(value.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void aBase64ValueOfTheLargestConfigurableLimitIsReadAsJson() {
    // 15,500,000 bytes as base64: 20,666,668 characters, past Jackson's default string cap.
    byte[] value = new byte[15_500_000];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) (i * 31);
    }
    String body =
        "{\"value\":\"" + Base64.getEncoder().encodeToString(value) + "\",\"encoding\":\"base64\"}";
    assertThat(SecretValues.parse(body.getBytes(StandardCharsets.US_ASCII))).isEqualTo(value);
  }

  @Test
  void aPrefixedUserNamedLikeAServiceAccountIsNotThatServiceAccount() {
    ApiConfig config =
        new ApiConfig(
            ApiConfig.DEFAULT_MAX_VALUE_BYTES,
            ApiConfig.DEFAULT_MAX_SECRETS_PER_USER,
            ApiConfig.DEFAULT_POD_TOKEN_AUDIENCE,
            "oidc:",
            true);
    try (ApiFixture f = new ApiFixture(config)) {
      String impostor = f.userToken("oidc:system:serviceaccount:team:bot");
      assertError(
          f.get("/api/v1/secrets", impostor), 403, "forbidden", "system user or service account");
      assertError(
          f.put("DB_URL", impostor, "postgres://elsewhere"),
          403,
          "forbidden",
          "system user or service account");
      // A user of the provider is served as before.
      assertThat(f.put("DB_URL", f.userToken("oidc:dana"), "v").status()).isEqualTo(201);
      assertThat(f.store.list("dana")).hasSize(1);
      assertThat(f.store.list("system:serviceaccount:team:bot")).isEmpty();
    }
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void madeUpTokensFromOneAddressCostAFewReviewsAndEveryoneElseIsServed() throws Exception {
    try (ApiFixture f = new ApiFixture(ApiConfig.defaults(), b -> b.refusedTokens(5, 1.0))) {
      String alice = f.userToken("alice");
      int reviewsBefore = f.authority.reviewCount();
      int refused = 0;
      int limited = 0;
      long start = System.nanoTime();
      for (int i = 0; i < 60; i++) {
        String head = getAs(f, "made-up-" + i);
        if (head.startsWith("HTTP/1.1 401")) {
          refused++;
        } else {
          assertThat(head)
              .startsWith("HTTP/1.1 429")
              .containsIgnoringCase("Retry-After: 1")
              .contains("too many refused tokens came from this address");
          limited++;
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      // Five at once, then one a second.
      assertThat(refused).isBetween(5, 5 + (int) Math.ceil(seconds));
      assertThat(limited).isEqualTo(60 - refused).isPositive();
      // Only the refused ones were asked about: the rest cost no TokenReview.
      assertThat(f.authority.reviewCount() - reviewsBefore).isEqualTo(refused);

      // Another address is served, its new token asked about.
      assertThat(f.get("/api/v1/secrets", alice).status()).isEqualTo(200);
      // From the limited address, a token known already is answered as before...
      assertThat(getAs(f, alice)).startsWith("HTTP/1.1 200");
      // ...and a new valid one once a permit is back. Accepted tokens cost nothing: ten more new
      // ones right after are all asked about and answered.
      String bob = f.userToken("bob");
      Awaitility.await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(() -> assertThat(getAs(f, bob)).startsWith("HTTP/1.1 200"));
      for (int i = 0; i < 10; i++) {
        assertThat(getAs(f, f.userToken("user" + i))).startsWith("HTTP/1.1 200");
      }
    }
  }

  @Test
  void behindATrustedProxyEachClientHasItsOwnLimitsWithinTheProxysAndNoneCanClaimAnothersAddress()
      throws Exception {
    TrustedProxies proxy = TrustedProxies.of(List.of(OTHER_ADDRESS.getHostAddress() + "/32"));
    try (ApiFixture f =
        new ApiFixture(
            ApiConfig.defaults(),
            b ->
                b.refusedTokens(5, 0.01)
                    .http(
                        h ->
                            h.trustedProxies(proxy)
                                .limits(HttpLimits.defaults().withConnections(64, 4))))) {
      // Trust does not lift the limits kept per peer: a trusted block may hold more than proxies.
      List<Socket> held = new ArrayList<>();
      try {
        healthyConnections(f, 4, held);
        try (Socket fifth = socket(f)) {
          fifth.setSoTimeout(5_000);
          assertThat(readOrReset(fifth)).isEqualTo(-1);
        }
      } finally {
        closeAll(held);
      }
      // The server counts the closed connections as gone once it sees them close.
      awaitServedAgain(f);

      // Made-up tokens from one client behind the proxy use up that client's refusals...
      for (int i = 0; i < 5; i++) {
        assertThat(getVia(f, "made-up-" + i, "203.0.113.7")).startsWith("HTTP/1.1 401");
      }
      assertThat(getVia(f, "made-up-5", "203.0.113.7")).startsWith("HTTP/1.1 429");
      // ...whatever it claims further left (only what the proxy appended is read)...
      assertThat(getVia(f, "made-up-6", "198.51.100.1, 203.0.113.7")).startsWith("HTTP/1.1 429");
      // ...and not another's: the next client behind the same proxy is still asked about.
      assertThat(getVia(f, "made-up-7", "203.0.113.8")).startsWith("HTTP/1.1 401");
      // A client that names a new address for each token (one inside a trusted block could) stops
      // at what all the clients behind the proxy may cost together: ten clients' worth, 50, of
      // which 6 are spent.
      int refused = 0;
      String last = "";
      for (int i = 0; i < 60 && !last.startsWith("HTTP/1.1 429"); i++) {
        last = getVia(f, "rotating-" + i, "198.51.100." + (i + 10));
        if (last.startsWith("HTTP/1.1 401")) {
          refused++;
        }
      }
      assertThat(last).startsWith("HTTP/1.1 429");
      assertThat(refused).isBetween(44, 46);

      // A peer that is not a trusted proxy is its own client, whatever it says it forwards.
      for (int i = 0; i < 5; i++) {
        assertThat(f.send(direct(f, "direct-" + i, "203.0.113.10" + i)).status()).isEqualTo(401);
      }
      assertThat(f.send(direct(f, "direct-5", "203.0.113.200")).status()).isEqualTo(429);
    }
  }

  @Test
  void behindATrustedProxyOneClientsStalledBodiesLeaveTheNextClientRoom() throws Exception {
    int budget = 1 << 20;
    TrustedProxies proxy = TrustedProxies.of(List.of(OTHER_ADDRESS.getHostAddress()));
    try (ApiFixture f =
        new ApiFixture(
            ApiConfig.defaults(),
            b ->
                b.http(
                    h ->
                        h.trustedProxies(proxy)
                            .bodyBudget(budget)
                            .bodyBudgetPerAddress(budget / 4)))) {
      String token = f.userToken("share");
      List<Socket> sockets = new ArrayList<>();
      try {
        for (int i = 0; i < 10; i++) {
          sockets.add(partialPut(f, token, 200_000, 100_000, "203.0.113.7"));
        }
        assertThat(busyAnswers(sockets)).as("bodies refused for the client's share").isEqualTo(8);
        // Another client through the same proxy has its own share.
        byte[] json =
            ("{\"value\":\"" + "x".repeat(100_000) + "\"}").getBytes(StandardCharsets.US_ASCII);
        try (Socket s = socket(f)) {
          s.setSoTimeout(10_000);
          OutputStream out = s.getOutputStream();
          out.write(
              (PUT_HEAD
                      + "X-Forwarded-For: 203.0.113.8\r\nAuthorization: Bearer "
                      + token
                      + "\r\nContent-Type: application/json\r\nContent-Length: "
                      + json.length
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
          out.write(json);
          out.flush();
          assertThat(readHead(s)).startsWith("HTTP/1.1 201");
        }
      } finally {
        closeAll(sockets);
      }
    }
  }

  /** A list of the caller's secrets with {@code token}, through the proxy for {@code client}. */
  private static String getVia(ApiFixture f, String token, String client) throws IOException {
    try (Socket s = socket(f)) {
      s.setSoTimeout(10_000);
      return exchange(
          s,
          "GET /api/v1/secrets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
              + token
              + "\r\nX-Forwarded-For: "
              + client
              + "\r\nConnection: close\r\n\r\n");
    }
  }

  /**
   * A list of the caller's secrets from this test's own address, claiming to forward {@code xff}.
   */
  private static HttpRequest direct(ApiFixture f, String token, String xff) {
    return HttpRequest.newBuilder(f.uri("/api/v1/secrets"))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token)
        .header("X-Forwarded-For", xff)
        .GET()
        .build();
  }

  /** A list of the caller's secrets with {@code token}, from the other address, on a new socket. */
  private static String getAs(ApiFixture f, String token) throws IOException {
    try (Socket s = socket(f)) {
      s.setSoTimeout(10_000);
      return exchange(
          s,
          "GET /api/v1/secrets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
              + token
              + "\r\nConnection: close\r\n\r\n");
    }
  }

  private static ApiFixture fixture(HttpLimits limits) {
    return new ApiFixture(ApiConfig.defaults(), b -> b.http(h -> h.limits(limits)));
  }

  private static Reply putAs(ApiFixture f, String token, String contentType) {
    return f.send(
        HttpRequest.newBuilder(f.uri("/api/v1/secrets/TYPED"))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", contentType)
            .PUT(HttpRequest.BodyPublishers.ofString("{\"value\":\"v\"}"))
            .build());
  }

  private static Socket socket(ApiFixture f) throws IOException {
    URI uri = f.uri("/");
    return new Socket(InetAddress.getByName(uri.getHost()), uri.getPort(), OTHER_ADDRESS, 0);
  }

  /**
   * How many of {@code sockets} were answered within a second, each with {@code 503 busy}: the
   * bodies the server would not hold.
   */
  private static int busyAnswers(List<Socket> sockets) throws Exception {
    Thread.sleep(1_000);
    int busy = 0;
    for (Socket s : sockets) {
      if (s.getInputStream().available() > 0) {
        assertThat(readHead(s)).startsWith("HTTP/1.1 503").contains("\"busy\"");
        busy++;
      }
    }
    return busy;
  }

  private static Socket partialPut(ApiFixture f, String token, int declared, int sent)
      throws IOException {
    return partialPut(f, token, declared, sent, null);
  }

  /** As {@link #partialPut(ApiFixture, String, int, int)}, through a proxy for {@code client}. */
  private static Socket partialPut(
      ApiFixture f, String token, int declared, int sent, String client) throws IOException {
    Socket s = socket(f);
    s.setSoTimeout(10_000);
    OutputStream out = s.getOutputStream();
    out.write(
        (PUT_HEAD
                + (client == null ? "" : "X-Forwarded-For: " + client + "\r\n")
                + "Authorization: Bearer "
                + token
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + declared
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    byte[] part = new byte[sent];
    java.util.Arrays.fill(part, (byte) ' ');
    try {
      out.write(part);
      out.flush();
    } catch (IOException e) {
      // refused and closed while sending: read below
    }
    return s;
  }

  /**
   * Opens {@code n} connections from the other address into {@code held}, each answered a health
   * check before the next opens (so the server has counted it).
   */
  private static void healthyConnections(ApiFixture f, int n, List<Socket> held)
      throws IOException {
    for (int i = 0; i < n; i++) {
      Socket s = socket(f);
      held.add(s);
      s.setSoTimeout(5_000);
      assertHealthy(s);
    }
  }

  /**
   * Waits until a new connection from this test's other address is served, once the connections it
   * held are closed: the server frees their places when it sees them close, not at once.
   */
  private static void awaitServedAgain(ApiFixture f) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              try (Socket s = socket(f)) {
                s.setSoTimeout(5_000);
                assertHealthy(s);
              }
            });
  }

  /** A health check on this connection, answered 200. */
  private static void assertHealthy(Socket s) throws IOException {
    assertThat(exchange(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 200");
  }

  private static String exchange(Socket s, String request) throws IOException {
    s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return readHead(s);
  }

  /** The status line and headers, and as much body as came with them. */
  private static String readHead(Socket s) throws IOException {
    InputStream in = s.getInputStream();
    StringBuilder sb = new StringBuilder();
    byte[] buffer = new byte[8192];
    int n;
    while ((n = in.read(buffer)) > 0) {
      sb.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
      int end = sb.indexOf("\r\n\r\n");
      if (end > 0) {
        int length = contentLength(sb.substring(0, end));
        if (sb.length() >= end + 4 + length) {
          break;
        }
      }
    }
    return sb.toString();
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        return Integer.parseInt(line.substring(15).trim());
      }
    }
    return 0;
  }

  private static boolean closedByServer(Socket s) {
    try {
      s.setSoTimeout(1);
      int b = s.getInputStream().read();
      return b == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private static int readOrReset(Socket s) throws IOException {
    try {
      return s.getInputStream().read();
    } catch (SocketException reset) {
      return -1;
    }
  }

  private static void closeAll(List<Socket> sockets) throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    sockets.clear();
  }

  private static InetAddress loopback(int last) {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
