package io.nbsecrets.http;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The limits of one {@link HttpEndpoint}: what a slow, idle or hostile client can hold and for how
 * long.
 *
 * <p>Connections cost no worker thread while they wait: Jetty parses headers and bodies as bytes
 * arrive, on its selector, and a handler runs only once a request is whole. So idle and slow
 * clients are bounded by {@link #maxConnections} and the timeouts, and workers by {@link
 * #maxThreads}. A route that may block (a store call, the Kubernetes API) runs on a pool of its
 * own, {@link #maxBlockingRequests} threads with a queue of {@link #maxQueuedRequests}: a burst
 * waits its turn there instead of being refused, and the workers stay free for health probes.
 *
 * @param idleTimeout a connection with no bytes in either direction for this long is closed
 * @param requestTimeout the longest a request may take once its headers are read, body included;
 *     the client then gets 503 {@code request_timeout} (the handler's work is abandoned, not
 *     undone)
 * @param maxRequestHeaderBytes the request line and headers together; larger gets 431
 * @param maxThreads worker threads (the selector and acceptor threads come on top)
 * @param maxBlockingRequests requests of blocking routes served at once
 * @param maxQueuedRequests requests of blocking routes that wait for one of those; beyond it they
 *     get 503 with {@code Retry-After} at once, and one that waits past {@code requestTimeout} gets
 *     its 503 then
 * @param maxConnections open connections; beyond it, the server stops accepting until one closes
 * @param shutdownGrace how long a stop lets running requests finish (new ones get 503)
 * @param requestHeadTimeout the longest a request line and headers may take to arrive: from the
 *     connection's opening for its first request (the TLS handshake included), from its first byte
 *     for a later one; the connection is then closed (Go's {@code ReadHeaderTimeout})
 * @param maxConnectionsPerAddress open connections from one client address; one beyond it is closed
 *     as it opens, so that no one client fills {@code maxConnections}
 */
public record HttpLimits(
    Duration idleTimeout,
    Duration requestTimeout,
    int maxRequestHeaderBytes,
    int maxThreads,
    int maxBlockingRequests,
    int maxConnections,
    Duration shutdownGrace,
    int maxQueuedRequests,
    Duration requestHeadTimeout,
    int maxConnectionsPerAddress) {

  public HttpLimits {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    Objects.requireNonNull(requestHeadTimeout, "requestHeadTimeout");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout must be positive, not " + idleTimeout);
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout must be positive, not " + requestTimeout);
    }
    if (requestHeadTimeout.isNegative() || requestHeadTimeout.isZero()) {
      throw new IllegalArgumentException(
          "requestHeadTimeout must be positive, not " + requestHeadTimeout);
    }
    if (maxConnectionsPerAddress < 1) {
      throw new IllegalArgumentException(
          "maxConnectionsPerAddress must be at least 1, not " + maxConnectionsPerAddress);
    }
    if (maxThreads < 4) {
      throw new IllegalArgumentException("maxThreads must be at least 4, not " + maxThreads);
    }
    if (maxBlockingRequests < 1) {
      throw new IllegalArgumentException(
          "maxBlockingRequests must be at least 1, not " + maxBlockingRequests);
    }
    if (maxQueuedRequests < 0) {
      throw new IllegalArgumentException(
          "maxQueuedRequests must be at least 0, not " + maxQueuedRequests);
    }
    if (maxConnections < 1 || maxRequestHeaderBytes < 1024) {
      throw new IllegalArgumentException(
          "maxConnections must be at least 1 and maxRequestHeaderBytes at least" + " 1024");
    }
  }

  /**
   * 30 s idle, 30 s per request (a body that trickles in included), 10 s for a request's head, 16
   * KiB of headers, 32 worker threads, 24 threads for blocking routes with 256 more waiting, 2,048
   * connections of which 256 from one address, 5 s grace.
   */
  public static HttpLimits defaults() {
    return new HttpLimits(
        Duration.ofSeconds(30),
        Duration.ofSeconds(30),
        16 * 1024,
        32,
        24,
        2048,
        Duration.ofSeconds(5),
        256,
        Duration.ofSeconds(10),
        256);
  }

  public HttpLimits withShutdownGrace(Duration grace) {
    return copy(v -> v.shutdownGrace = grace);
  }

  public HttpLimits withTimeouts(Duration idle, Duration request) {
    return copy(
        v -> {
          v.idleTimeout = idle;
          v.requestTimeout = request;
        });
  }

  public HttpLimits withThreads(int threads, int blocking) {
    return copy(
        v -> {
          v.maxThreads = threads;
          v.maxBlockingRequests = blocking;
        });
  }

  /** A copy where at most {@code queued} requests of blocking routes wait for a thread. */
  public HttpLimits withQueue(int queued) {
    return copy(v -> v.maxQueuedRequests = queued);
  }

  /** A copy where a request's head must arrive within {@code timeout}. */
  public HttpLimits withRequestHeadTimeout(Duration timeout) {
    return copy(v -> v.requestHeadTimeout = timeout);
  }

  /** A copy with these connection limits, in all and per client address. */
  public HttpLimits withConnections(int total, int perAddress) {
    return copy(
        v -> {
          v.maxConnections = total;
          v.maxConnectionsPerAddress = perAddress;
        });
  }

  /** A copy with what {@code change} sets; checked as any new one is. */
  private HttpLimits copy(Consumer<Values> change) {
    Values v = new Values(this);
    change.accept(v);
    return new HttpLimits(
        v.idleTimeout,
        v.requestTimeout,
        v.maxRequestHeaderBytes,
        v.maxThreads,
        v.maxBlockingRequests,
        v.maxConnections,
        v.shutdownGrace,
        v.maxQueuedRequests,
        v.requestHeadTimeout,
        v.maxConnectionsPerAddress);
  }

  /** The values of a copy while they are being changed. */
  private static final class Values {
    Duration idleTimeout;
    Duration requestTimeout;
    int maxRequestHeaderBytes;
    int maxThreads;
    int maxBlockingRequests;
    int maxConnections;
    Duration shutdownGrace;
    int maxQueuedRequests;
    Duration requestHeadTimeout;
    int maxConnectionsPerAddress;

    Values(HttpLimits l) {
      idleTimeout = l.idleTimeout;
      requestTimeout = l.requestTimeout;
      maxRequestHeaderBytes = l.maxRequestHeaderBytes;
      maxThreads = l.maxThreads;
      maxBlockingRequests = l.maxBlockingRequests;
      maxConnections = l.maxConnections;
      shutdownGrace = l.shutdownGrace;
      maxQueuedRequests = l.maxQueuedRequests;
      requestHeadTimeout = l.requestHeadTimeout;
      maxConnectionsPerAddress = l.maxConnectionsPerAddress;
    }
  }
}
