package io.nbsecrets.http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * What one client may hold of a server's connections, beyond what the idle timeout bounds.
 *
 * <ul>
 *   <li><b>A request head has a deadline</b> ({@link HttpLimits#requestHeadTimeout()}), as Go's
 *       {@code ReadHeaderTimeout}: a connection's first request line and headers (and its TLS
 *       handshake) must arrive within it of the connection's opening, and a later request's within
 *       it of its first byte. The idle timeout alone restarts with every byte, so a client sending
 *       a header byte every few seconds held its connection for days; now it is closed.
 *   <li><b>One address holds at most {@link HttpLimits#maxConnectionsPerAddress()} connections</b>;
 *       a connection beyond that is closed as it opens. Without it, one client could fill the
 *       server's whole connection limit and shut everyone out, health probes included. A trusted
 *       proxy ({@link TrustedProxies}) is limited so too: a trusted block may hold more than
 *       proxies, and the limit is far above what a proxy's connection pool holds.
 * </ul>
 *
 * <p>It is a {@link Connection.Listener} of the connector, so it sees every connection: the TLS one
 * (counted per address) and the HTTP one inside it (given the deadline). {@link #requestStarted}
 * and {@link #requestEnded} tell it when a request's head is whole and when it is answered. A sweep
 * on the server's scheduler closes connections past their deadline.
 */
final class ConnectionGuard extends AbstractLifeCycle implements Connection.Listener {
  private static final long NONE = Long.MIN_VALUE;

  private final long headTimeoutNanos;
  private final int maxPerAddress;
  private final Scheduler scheduler;
  private final Map<Connection, Head> heads = new ConcurrentHashMap<>();
  private final Map<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
  private final Map<Connection, InetAddress> counted = new ConcurrentHashMap<>();
  private volatile Scheduler.Task sweep;

  ConnectionGuard(HttpLimits limits, Scheduler scheduler) {
    this.headTimeoutNanos = limits.requestHeadTimeout().toNanos();
    this.maxPerAddress = limits.maxConnectionsPerAddress();
    this.scheduler = scheduler;
  }

  /** Where one HTTP connection is: waiting for a head (since when), or in a request. */
  private static final class Head {
    /** When the head now awaited began ({@link #NONE}: none has, or a request is under way). */
    volatile long startedNanos;

    /** The connection's bytes in when its last request was answered. */
    volatile long bytesMark;

    volatile boolean inRequest;

    Head(long startedNanos) {
      this.startedNanos = startedNanos;
    }
  }

  @Override
  protected void doStart() {
    scheduleSweep();
  }

  @Override
  protected void doStop() {
    Scheduler.Task task = sweep;
    if (task != null) {
      task.cancel();
    }
  }

  private void scheduleSweep() {
    long period = sweepPeriodFor(Duration.ofNanos(headTimeoutNanos)).toMillis();
    sweep =
        scheduler.schedule(
            () -> {
              if (isRunning()) {
                sweepOnce(System.nanoTime());
                scheduleSweep();
              }
            },
            period,
            TimeUnit.MILLISECONDS);
  }

  @Override
  public void onOpened(Connection connection) {
    if (!(connection.getEndPoint() instanceof SslConnection.SslEndPoint)) {
      // The outermost connection of a socket: count it against its address.
      InetAddress address = address(connection.getEndPoint().getRemoteSocketAddress());
      if (address != null) {
        int n = perAddress.merge(address, 1, Integer::sum);
        counted.put(connection, address);
        if (n > maxPerAddress) {
          connection.getEndPoint().close();
          return;
        }
      }
    }
    if (connection instanceof ConnectionMetaData) {
      heads.put(connection, new Head(System.nanoTime()));
    }
  }

  @Override
  public void onClosed(Connection connection) {
    heads.remove(connection);
    InetAddress address = counted.remove(connection);
    if (address != null) {
      perAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }
  }

  /** A request's head is whole and handed to the routes: no deadline while it is served. */
  void requestStarted(Connection connection) {
    Head head = heads.get(connection);
    if (head != null) {
      head.inRequest = true;
      head.startedNanos = NONE;
    }
  }

  /** A request is answered: the next head's clock starts with its first byte. */
  void requestEnded(Connection connection) {
    Head head = heads.get(connection);
    if (head != null) {
      head.bytesMark = connection.getBytesIn();
      head.startedNanos = NONE;
      head.inRequest = false;
    }
  }

  void sweepOnce(long now) {
    heads.forEach(
        (connection, head) -> {
          if (head.inRequest) {
            return;
          }
          long started = head.startedNanos;
          if (started == NONE) {
            if (connection.getBytesIn() > head.bytesMark) {
              // A next head has begun since the last answer; its clock starts now (to a sweep).
              head.startedNanos = now;
            }
          } else if (now - started > headTimeoutNanos) {
            heads.remove(connection);
            connection.close();
          }
        });
  }

  private static InetAddress address(SocketAddress socket) {
    return socket instanceof InetSocketAddress inet ? inet.getAddress() : null;
  }

  /** A quarter of the deadline, between 50 ms and 1 s: how late past it a connection may close. */
  static Duration sweepPeriodFor(Duration headTimeout) {
    return Duration.ofMillis(Math.max(50, Math.min(1000, headTimeout.toMillis() / 4)));
  }
}
