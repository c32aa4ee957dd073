package io.nbsecrets.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A <b>fake</b> of the few Vault HTTP endpoints {@link VaultSecretStore} uses, for tests only: not
 * Vault, not a complete emulation, and with no security of its own. It runs on the JDK's {@code
 * HttpServer} at 127.0.0.1 on an ephemeral port and serves:
 *
 * <ul>
 *   <li>KV v2 under one mount ({@code secret} unless configured): {@code GET /v1/<mount>/data/<p>}
 *       (latest version, or {@code ?version=N}; 404 when absent), {@code POST/PUT
 *       /v1/<mount>/data/<p>} with {@code options.cas} (cas=0 only if absent, cas=N only if the
 *       current version is N, otherwise 400 "check-and-set parameter did not match the current
 *       version"), {@code LIST} (or {@code GET ?list=true}) {@code /v1/<mount>/metadata/<p>}
 *       ({@code {"data":{"keys":[...]}}}, folders ending in {@code /}, sorted; 404 when the folder
 *       holds nothing, including the tree's root: a folder exists only while some secret's metadata
 *       lies under it) and {@code DELETE /v1/<mount>/metadata/<p>} (all versions; 204 even when
 *       absent, like Vault); a soft delete of the latest version only as a test hook ({@link
 *       #softDelete}), not over HTTP;
 *   <li>{@code GET /v1/auth/token/lookup-self}, {@code POST /v1/auth/token/renew-self}, {@code POST
 *       /v1/auth/token/revoke-self};
 *   <li>{@code POST /v1/auth/<path>/login} for Kubernetes auth: accepts one configured JWT and
 *       role, returns a new client token with a lease, and counts logins;
 *   <li>{@code GET /v1/sys/health} (200);
 *   <li>the Transit secrets engine under {@code transit}: {@code POST encrypt/<key>}, {@code
 *       decrypt/<key>}, {@code rewrap/<key>} (one item each, no batches; AES-256-GCM, ciphertext
 *       {@code vault:v<n>:<base64(nonce || ciphertext || tag)>} like Vault's {@code aes256-gcm96};
 *       {@code encrypt} creates a missing key like Vault's upsert for a token that may create, 400
 *       "encryption key not found" for decrypt/rewrap with an unknown key, and Vault's 400s for a
 *       version below min_decryption_version ("...disallowed by policy (too old)") or above the
 *       latest ("invalid ciphertext: version is too new"), 400 "cipher: message authentication
 *       failed"), {@code GET keys/<key>} ({@code latest_version}, {@code min_decryption_version};
 *       404 when absent), {@code POST keys/<key>/rotate} (400 "key not found" when absent); keys
 *       are otherwise created by the test hook {@link #createTransitKey}, not over HTTP; {@link
 *       #transitMinDecryptionVersion} stands in for {@code keys/<key>/config}.
 * </ul>
 *
 * <p>Every path but health and login requires a known, unrevoked token in {@code X-Vault-Token}
 * (otherwise 403 "permission denied"). There are no policies, namespaces, HTTP soft deletes, lease
 * expiry, response wrapping, standbys, {@code max_versions} (every version is kept) or paginated
 * LISTs. {@link #stop()} simulates an outage.
 *
 * <p>Test hooks, acting as another client would: {@link #write}, {@link #softDelete}, {@link
 * #remove}; {@link #beforeWrite} and {@link #beforeRead} run code between a request's arrival and
 * its effect (to inject a racing client); {@link #writes}, {@link #reads} and {@link #lists} count
 * KV requests.
 */
public final class FakeVault implements AutoCloseable {

  static final String CAS_ERROR = "check-and-set parameter did not match the current version";

  static {
    // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's
    // delayed ACK: ~40 ms per response. Read once, when the server classes initialise.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String mount;
  private final HttpServer server;
  private final ExecutorService executor;
  private final Map<String, Entry> kv = new TreeMap<>();
  private final Map<String, TransitKey> transit = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Set<String> tokens = ConcurrentHashMap.newKeySet();
  private final AtomicInteger logins = new AtomicInteger();
  private final AtomicInteger renewals = new AtomicInteger();
  private final AtomicInteger writes = new AtomicInteger();
  private final AtomicInteger reads = new AtomicInteger();
  private final AtomicInteger lists = new AtomicInteger();
  private volatile String kubernetesJwt;
  private volatile String kubernetesRole;
  private volatile String kubernetesAuthPath = "kubernetes";
  private volatile long leaseSeconds = 3600;
  private volatile Runnable beforeWrite = () -> {};
  private volatile Consumer<String> beforeRead = path -> {};

  /** One Transit key: its versions (1-based) and the oldest version that may decrypt. */
  private static final class TransitKey {
    final List<byte[]> versions = new ArrayList<>();
    int minDecryptionVersion = 1;
  }

  /** One KV v2 secret: its versions' data (null once deleted) and the current version. */
  private static final class Entry {
    final Map<Integer, JsonNode> versions = new TreeMap<>();
    int current;
  }

  public FakeVault(String rootToken) {
    this("secret", rootToken);
  }

  FakeVault(String mount, String rootToken) {
    this.mount = mount;
    tokens.add(rootToken);
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    executor = Executors.newFixedThreadPool(16);
    server.setExecutor(executor);
    server.createContext("/v1/", this::handle);
    server.start();
  }

  public URI address() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Accepts Kubernetes logins with exactly this JWT and role. */
  void enableKubernetesAuth(String authPath, String role, String jwt) {
    this.kubernetesAuthPath = authPath;
    this.kubernetesRole = role;
    this.kubernetesJwt = jwt;
  }

  void leaseSeconds(long seconds) {
    this.leaseSeconds = seconds;
  }

  int logins() {
    return logins.get();
  }

  int renewals() {
    return renewals.get();
  }

  int writes() {
    return writes.get();
  }

  /** KV data reads ({@code GET /v1/<mount>/data/...}) answered so far. */
  int reads() {
    return reads.get();
  }

  /** KV LISTs answered so far (including those answering 404). */
  int lists() {
    return lists.get();
  }

  /** Runs before each KV write is applied (to inject a concurrent writer). */
  void beforeWrite(Runnable hook) {
    this.beforeWrite = hook;
  }

  /** Runs before each KV data read, with its path under the mount's {@code data/}. */
  void beforeRead(Consumer<String> hook) {
    this.beforeRead = hook;
  }

  /** The latest data at {@code <mount>/data/<path>}, or null. */
  /** Creates a Transit key (version 1), as {@code vault write -f transit/keys/<name>} would. */
  public void createTransitKey(String name) {
    TransitKey key = new TransitKey();
    key.versions.add(newAesKey());
    transit.put(name, key);
  }

  /** Sets a Transit key's {@code min_decryption_version}. */
  public void transitMinDecryptionVersion(String name, int version) {
    TransitKey key = transit.get(name);
    synchronized (key) {
      key.minDecryptionVersion = version;
    }
  }

  private byte[] newAesKey() {
    byte[] k = new byte[32];
    random.nextBytes(k);
    return k;
  }

  synchronized JsonNode read(String path) {
    Entry e = kv.get(path);
    return e == null ? null : e.versions.get(e.current);
  }

  /** The current KV version at the path (0 when absent). */
  synchronized int kvVersion(String path) {
    Entry e = kv.get(path);
    return e == null ? 0 : e.current;
  }

  /** Writes {@code data} as a new version, as another client would (no cas). */
  synchronized void write(String path, JsonNode data) {
    Entry e = kv.computeIfAbsent(path, p -> new Entry());
    e.current++;
    e.versions.put(e.current, data.deepCopy());
  }

  /**
   * Soft-deletes the latest version, as {@code DELETE /v1/<mount>/data/<path>} by another client
   * would: reads then answer 404 with the version's metadata, and only {@code cas=<that version>}
   * may write.
   */
  synchronized void softDelete(String path) {
    Entry e = kv.get(path);
    if (e != null) {
      e.versions.put(e.current, null);
    }
  }

  /**
   * Deletes the secret and all its versions, as {@code DELETE /v1/<mount>/metadata/<path>} by
   * another client would.
   */
  synchronized void remove(String path) {
    kv.remove(path);
  }

  /** All paths with data. */
  synchronized Set<String> paths() {
    return new TreeSet<>(kv.keySet());
  }

  /** Simulates an outage: the port stops answering. */
  public void stop() {
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public void close() {
    stop();
  }

  // ---------------------------------------------------------------------------------------------

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      URI uri = exchange.getRequestURI();
      String path = URLDecoder.decode(uri.getRawPath(), StandardCharsets.UTF_8).substring(4);
      String query = uri.getRawQuery() == null ? "" : uri.getRawQuery();
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      if (path.equals("sys/health")) {
        ObjectNode health = JSON.createObjectNode();
        health.put("initialized", true).put("sealed", false).put("standby", false);
        health.put("version", "fake");
        respond(exchange, 200, health);
        return;
      }
      if (path.equals("auth/" + kubernetesAuthPath + "/login") && method.equals("POST")) {
        login(exchange, body);
        return;
      }
      String token = exchange.getRequestHeaders().getFirst("X-Vault-Token");
      if (token == null || !tokens.contains(token)) {
        error(exchange, 403, "permission denied");
        return;
      }
      switch (path) {
        case "auth/token/lookup-self" -> {
          ObjectNode data = JSON.createObjectNode();
          data.put("id", token).put("accessor", "accessor-" + token.hashCode());
          data.put("ttl", leaseSeconds).put("renewable", true).put("type", "service");
          data.put("creation_ttl", leaseSeconds);
          data.putArray("policies").add("default");
          ObjectNode root = JSON.createObjectNode();
          root.set("data", data);
          respond(exchange, 200, root);
          return;
        }
        case "auth/token/renew-self" -> {
          renewals.incrementAndGet();
          respond(exchange, 200, auth(token));
          return;
        }
        case "auth/token/revoke-self" -> {
          tokens.remove(token);
          respond(exchange, 204, null);
          return;
        }
        default -> {}
      }
      if (path.startsWith("transit/")) {
        transit(exchange, method, path.substring("transit/".length()), body);
        return;
      }
      String dataPrefix = mount + "/data/";
      String metadataPrefix = mount + "/metadata/";
      if (path.startsWith(dataPrefix)) {
        String key = path.substring(dataPrefix.length());
        switch (method) {
          case "GET" -> readData(exchange, key, query);
          case "POST", "PUT" -> writeData(exchange, key, body);
          default -> error(exchange, 405, "unsupported operation");
        }
      } else if (path.startsWith(metadataPrefix)) {
        String key = path.substring(metadataPrefix.length());
        boolean list =
            method.equals("LIST") || (method.equals("GET") && query.contains("list=true"));
        if (list) {
          lists.incrementAndGet();
          list(exchange, key);
        } else if (method.equals("DELETE")) {
          remove(key);
          respond(exchange, 204, null);
        } else {
          error(exchange, 405, "unsupported operation");
        }
      } else {
        error(exchange, 404, "no handler for route '" + path + "'");
      }
    } catch (RuntimeException e) {
      error(exchange, 500, "internal error in the fake: " + e.getClass().getSimpleName());
    }
  }

  private void transit(HttpExchange exchange, String method, String path, byte[] body)
      throws IOException {
    String[] parts = path.split("/");
    String op = parts[0];
    TransitKey key = parts.length > 1 ? transit.get(parts[1]) : null;
    if (key == null && op.equals("encrypt") && parts.length == 2 && method.equals("POST")) {
      // Vault creates a missing key on encrypt ("upsert") when the token holds `create` on the
      // path, as a root token does; the fake has no policies, so it always does.
      createTransitKey(parts[1]);
      key = transit.get(parts[1]);
    } else if (key == null) {
      if (op.equals("keys") && method.equals("GET")) {
        error(exchange, 404, null); // Vault: 404 {"errors":[]}
      } else {
        error(exchange, 400, op.equals("keys") ? "key not found" : "encryption key not found");
      }
      return;
    }
    synchronized (key) {
      ObjectNode data = JSON.createObjectNode();
      JsonNode request = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
      switch (op + " " + method) {
        case "encrypt POST" -> {
          byte[] plaintext = Base64.getDecoder().decode(request.path("plaintext").asText(""));
          data.put("ciphertext", transitEncrypt(key, plaintext));
          data.put("key_version", key.versions.size());
        }
        case "decrypt POST", "rewrap POST" -> {
          byte[] plaintext;
          try {
            plaintext = transitDecrypt(key, request.path("ciphertext").asText(""));
          } catch (IllegalArgumentException e) {
            error(exchange, 400, e.getMessage());
            return;
          }
          if (op.equals("decrypt")) {
            data.put("plaintext", Base64.getEncoder().encodeToString(plaintext));
          } else {
            data.put("ciphertext", transitEncrypt(key, plaintext));
            data.put("key_version", key.versions.size());
          }
        }
        case "keys GET" -> {
          data.put("name", parts[1]).put("type", "aes256-gcm96");
          data.put("latest_version", key.versions.size());
          data.put("min_decryption_version", key.minDecryptionVersion);
        }
        case "keys POST" -> {
          if (parts.length != 3 || !parts[2].equals("rotate")) {
            error(exchange, 405, "unsupported operation");
            return;
          }
          key.versions.add(newAesKey());
          data.put("latest_version", key.versions.size());
        }
        default -> {
          error(exchange, 405, "unsupported operation");
          return;
        }
      }
      ObjectNode root = JSON.createObjectNode();
      root.set("data", data);
      respond(exchange, 200, root);
    }
  }

  private String transitEncrypt(TransitKey key, byte[] plaintext) {
    try {
      byte[] nonce = new byte[12];
      random.nextBytes(nonce);
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(key.versions.get(key.versions.size() - 1), "AES"),
          new GCMParameterSpec(128, nonce));
      byte[] sealed = gcm.doFinal(plaintext);
      byte[] out = new byte[nonce.length + sealed.length];
      System.arraycopy(nonce, 0, out, 0, nonce.length);
      System.arraycopy(sealed, 0, out, nonce.length, sealed.length);
      return "vault:v" + key.versions.size() + ":" + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] transitDecrypt(TransitKey key, String ciphertext) {
    String[] parts = ciphertext.split(":", 3);
    if (parts.length != 3 || !parts[0].equals("vault") || !parts[1].matches("v[0-9]+")) {
      throw new IllegalArgumentException("invalid ciphertext: no prefix");
    }
    int version = Integer.parseInt(parts[1].substring(1));
    if (version < key.minDecryptionVersion) {
      throw new IllegalArgumentException(
          "ciphertext or signature version is disallowed by policy (too old)");
    }
    if (version > key.versions.size()) {
      throw new IllegalArgumentException("invalid ciphertext: version is too new");
    }
    byte[] in;
    try {
      in = Base64.getDecoder().decode(parts[2]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid ciphertext: could not decode base64");
    }
    if (in.length < 12 + 16) {
      throw new IllegalArgumentException("invalid ciphertext length");
    }
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(key.versions.get(version - 1), "AES"),
          new GCMParameterSpec(128, in, 0, 12));
      return gcm.doFinal(in, 12, in.length - 12);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cipher: message authentication failed");
    }
  }

  private void login(HttpExchange exchange, byte[] body) throws IOException {
    JsonNode request = JSON.readTree(body);
    String jwt = request.path("jwt").asText(null);
    String role = request.path("role").asText(null);
    if (kubernetesJwt == null || !kubernetesJwt.equals(jwt) || !kubernetesRole.equals(role)) {
      error(exchange, 403, "permission denied");
      return;
    }
    logins.incrementAndGet();
    String token = "hvs.fake-" + UUID.randomUUID();
    tokens.add(token);
    respond(exchange, 200, auth(token));
  }

  private ObjectNode auth(String token) {
    ObjectNode auth = JSON.createObjectNode();
    auth.put("client_token", token).put("accessor", "accessor-" + token.hashCode());
    auth.put("lease_duration", leaseSeconds).put("renewable", true);
    auth.put("token_type", "service").put("orphan", true);
    auth.putArray("policies").add("default").add("nbsecrets");
    ObjectNode root = JSON.createObjectNode();
    root.set("auth", auth);
    return root;
  }

  private void readData(HttpExchange exchange, String key, String query) throws IOException {
    reads.incrementAndGet();
    beforeRead.accept(key);
    int asked = 0;
    for (String parameter : query.split("&")) {
      if (parameter.startsWith("version=")) {
        asked = Integer.parseInt(parameter.substring("version=".length()));
      }
    }
    JsonNode data;
    int version;
    synchronized (this) {
      Entry e = kv.get(key);
      version = e == null ? 0 : asked > 0 ? (e.versions.containsKey(asked) ? asked : 0) : e.current;
      data = version == 0 ? null : e.versions.get(version);
    }
    if (version == 0) {
      error(exchange, 404, null);
      return;
    }
    ObjectNode inner = JSON.createObjectNode();
    inner.set("data", data == null ? JSON.nullNode() : data);
    ObjectNode metadata = inner.putObject("metadata");
    metadata.put("version", version).put("created_time", Instant.now().toString());
    metadata.put("deletion_time", data == null ? Instant.now().toString() : "");
    metadata.put("destroyed", false);
    ObjectNode root = JSON.createObjectNode();
    root.set("data", inner);
    respond(exchange, data == null ? 404 : 200, root); // Vault: 404 with the deleted version
  }

  private void writeData(HttpExchange exchange, String key, byte[] body) throws IOException {
    JsonNode request = JSON.readTree(body);
    JsonNode data = request.path("data");
    if (!data.isObject()) {
      error(exchange, 400, "no data provided");
      return;
    }
    beforeWrite.run();
    int version;
    synchronized (this) {
      Entry e = kv.get(key);
      int current = e == null ? 0 : e.current;
      JsonNode cas = request.path("options").path("cas");
      if (!cas.isMissingNode() && cas.asInt(-1) != current) {
        version = -1;
      } else {
        if (e == null) {
          e = new Entry();
          kv.put(key, e);
        }
        e.current++;
        e.versions.put(e.current, data.deepCopy());
        version = e.current;
        writes.incrementAndGet();
      }
    }
    if (version < 0) {
      error(exchange, 400, CAS_ERROR);
      return;
    }
    ObjectNode root = JSON.createObjectNode();
    ObjectNode meta = root.putObject("data");
    meta.put("version", version).put("created_time", Instant.now().toString());
    meta.put("deletion_time", "").put("destroyed", false);
    respond(exchange, 200, root);
  }

  private void list(HttpExchange exchange, String key) throws IOException {
    String folder = key.isEmpty() || key.endsWith("/") ? key : key + "/";
    Set<String> keys = new TreeSet<>();
    synchronized (this) {
      for (String path : new ArrayList<>(kv.keySet())) {
        if (path.startsWith(folder)) {
          String rest = path.substring(folder.length());
          int slash = rest.indexOf('/');
          keys.add(slash < 0 ? rest : rest.substring(0, slash + 1));
        }
      }
    }
    if (keys.isEmpty()) {
      error(exchange, 404, null);
      return;
    }
    ObjectNode root = JSON.createObjectNode();
    ArrayNode array = root.putObject("data").putArray("keys");
    keys.forEach(array::add);
    respond(exchange, 200, root);
  }

  private static void error(HttpExchange exchange, int code, String message) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode errors = root.putArray("errors");
    if (message != null) {
      errors.add(message);
    }
    respond(exchange, code, root);
  }

  private static void respond(HttpExchange exchange, int code, JsonNode body) throws IOException {
    if (body == null) {
      exchange.sendResponseHeaders(code, -1);
      return;
    }
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
