package io.nbsecrets.api;

import io.nbsecrets.http.TrustedProxies;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many refused tokens each client address may cost the API server. An address has {@code burst}
 * permits and gets one back every {@code 1 / perSecond} seconds; each token of it that the
 * authenticator refuses after asking costs one. An address without a permit gets {@code 429} for a
 * token not known yet, at once and without asking the API server; tokens already known (a cached
 * acceptance or refusal) are answered as before, and a token that is accepted costs nothing,
 * however many are asked about at once (a burst of session pods behind one address is never held
 * back by this).
 *
 * <p>So a client that sends made-up tokens as fast as it can costs the API server {@code perSecond}
 * TokenReviews a second after its first {@code burst} (and after those it had in flight at once,
 * which it then owes: the permits go below zero, to at most {@code -burst}), and the API's threads
 * a few microseconds a request: it no longer fills the queue of blocking requests that every other
 * client waits in. Behind a proxy or a mesh sidecar every client shares one address, hence a
 * generous default.
 *
 * <p>Addresses are remembered up to {@code maxAddresses}, the least recently seen forgotten first;
 * a forgotten address starts again with all its permits. An IPv6 address counts as its /64 ({@link
 * #bucketOf}): one host gets a whole /64 and can send each token from another address of it.
 */
final class RefusedTokens {
  private static final Logger log = LoggerFactory.getLogger(RefusedTokens.class);

  /**
   * @param burst permits an address starts with, and the most it holds
   * @param perSecond permits an address gets back each second
   * @param maxAddresses addresses remembered at once
   */
  record Limits(int burst, double perSecond, int maxAddresses) {
    /** 20 refusals at once, 2 a second after that; 10,000 addresses. */
    static final Limits DEFAULTS = new Limits(20, 2.0, 10_000);

    /** How many clients' allowance all the clients behind one trusted proxy share. */
    static final int CLIENTS_PER_PROXY = 10;

    /**
     * The budget of all the clients behind one trusted proxy together: {@link #CLIENTS_PER_PROXY}
     * clients' worth. One client's bad tokens stop at its own limit and leave the others theirs;
     * clients that name a new address for each token (only one inside a trusted block can) stop at
     * this one.
     */
    Limits behindOneProxy() {
      return new Limits(burst * CLIENTS_PER_PROXY, perSecond * CLIENTS_PER_PROXY, maxAddresses);
    }

    Limits {
      if (burst < 1 || !(perSecond > 0) || maxAddresses < 1) {
        throw new IllegalArgumentException(
            "refused-token limits need a burst of at least 1, a positive rate per second and at"
                + " least one address: "
                + burst
                + ", "
                + perSecond
                + ", "
                + maxAddresses);
      }
    }
  }

  /** An address's permits as of {@code atNanos}, and whether it was told so last time. */
  private static final class Bucket {
    double permits;
    long atNanos;
    boolean limited;

    Bucket(double permits, long atNanos) {
      this.permits = permits;
      this.atNanos = atNanos;
    }
  }

  private final Limits limits;
  private final LongSupplier nanoTime;
  private final Map<String, Bucket> buckets;

  RefusedTokens(Limits limits) {
    this(limits, System::nanoTime);
  }

  RefusedTokens(Limits limits, LongSupplier nanoTime) {
    this.limits = limits;
    this.nanoTime = nanoTime;
    this.buckets =
        new LinkedHashMap<>(64, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > limits.maxAddresses();
          }
        };
  }

  /**
   * Before a token {@code address} sent is asked about: passes when the address has a permit.
   *
   * @throws ApiException 429, with the seconds until it has one, when it has none
   */
  void check(String address) {
    String key = bucketOf(address);
    long retryAfter;
    synchronized (buckets) {
      Bucket b = refilled(key);
      if (b.permits >= 1) {
        b.limited = false;
        return;
      }
      retryAfter = Math.max(1, (long) Math.ceil((1 - b.permits) / limits.perSecond()));
      if (!b.limited) {
        b.limited = true;
        log.warn(
            "client {} sent more refused tokens than allowed ({} at once, {} a second); its"
                + " tokens not known yet are refused with 429 until it has permits again",
            key,
            limits.burst(),
            limits.perSecond());
      }
    }
    throw new ApiException(
        429,
        "too_many_requests",
        "too many refused tokens came from this address; wait "
            + retryAfter
            + " s and send a valid token",
        Map.of("Retry-After", Long.toString(retryAfter)));
  }

  /** A token {@code address} sent was refused after asking: it costs a permit. */
  void refused(String address) {
    String key = bucketOf(address);
    synchronized (buckets) {
      Bucket b = refilled(key);
      b.permits = Math.max(-limits.burst(), b.permits - 1);
    }
  }

  /** The permits {@code address} has now (for tests). */
  double permits(String address) {
    synchronized (buckets) {
      return refilled(bucketOf(address)).permits;
    }
  }

  /**
   * The key of {@code address}'s permits: an IPv6 address's /64 network (a host, a home or a cloud
   * instance is given a whole /64, and any address of it is its own), any other address (or key)
   * itself. IPv4-mapped IPv6 addresses are IPv4 addresses. Never a name lookup.
   */
  static String bucketOf(String address) {
    if (address == null || address.indexOf(':') < 0) {
      return address;
    }
    String bare =
        address.startsWith("[") && address.endsWith("]")
            ? address.substring(1, address.length() - 1)
            : address;
    InetAddress parsed = TrustedProxies.literal(bare);
    if (!(parsed instanceof Inet6Address)) {
      return parsed == null ? address : parsed.getHostAddress();
    }
    byte[] network = parsed.getAddress();
    Arrays.fill(network, 8, 16, (byte) 0);
    try {
      return InetAddress.getByAddress(network).getHostAddress() + "/64";
    } catch (UnknownHostException e) {
      throw new IllegalStateException("16 bytes are an IPv6 address", e);
    }
  }

  /** The permits of {@code key} ({@link #bucketOf}) as of now; call holding the lock. */
  private Bucket refilled(String key) {
    long now = nanoTime.getAsLong();
    Bucket b = buckets.get(key);
    if (b == null) {
      b = new Bucket(limits.burst(), now);
      buckets.put(key, b);
      return b;
    }
    double back = (now - b.atNanos) / 1e9 * limits.perSecond();
    b.permits = Math.min(limits.burst(), b.permits + back);
    b.atNanos = now;
    return b;
  }
}
