package io.nbsecrets.http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The proxies in front of a server (an ingress controller, a Gateway) whose {@code X-Forwarded-For}
 * is believed, as address blocks ({@code 10.0.0.0/8}, {@code fd00::/8}, or one address).
 *
 * <p>Behind a proxy every request comes from the proxy's address, so the limits kept per client
 * address (refused tokens, the bodies' budget) would be shared by all its users, and one of them
 * could use up everyone's. A request whose peer is trusted is counted against the address its
 * proxies say it came from: the {@code X-Forwarded-For} entries are read from the right (each proxy
 * appends the address it was called from), past every trusted one, to the first that is not. Those
 * further left are the client's own claims and are never read. A peer that is not trusted is the
 * client, whatever its headers say.
 *
 * <p>A trusted block must hold proxies only: a client inside one (a session pod on the same pod
 * network) could name any address. So trust does not lift the limits kept per peer: its connections
 * count as one client's, and the tokens refused to all the clients behind one proxy have a budget
 * of their own (the API's).
 */
public final class TrustedProxies {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  /** The JDK reads a text as an IPv6 literal (never a name) when it starts so and holds a colon. */
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*");

  /** The header the proxies append to. */
  public static final String X_FORWARDED_FOR = "X-Forwarded-For";

  private static final TrustedProxies NONE = new TrustedProxies(List.of());

  /** One address block: an address and how many of its leading bits a match must share. */
  private record Block(byte[] network, int bits) {
    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != network.length) {
        return false;
      }
      int full = bits / 8;
      for (int i = 0; i < full; i++) {
        if (a[i] != network[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = 0xff << (8 - rest) & 0xff;
      return (a[full] & mask) == (network[full] & mask);
    }
  }

  private final List<Block> blocks;

  private TrustedProxies(List<Block> blocks) {
    this.blocks = blocks;
  }

  /** No proxy is trusted: every request's client is its peer. */
  public static TrustedProxies none() {
    return NONE;
  }

  /**
   * The proxies in {@code blocks}: addresses ({@code 10.1.2.3}, {@code fd00::1}) or blocks in CIDR
   * notation ({@code 10.0.0.0/8}, {@code fd00::/8}).
   *
   * @throws IllegalArgumentException naming the first entry that is neither
   */
  public static TrustedProxies of(List<String> blocks) {
    List<Block> parsed = new ArrayList<>();
    for (String entry : blocks) {
      parsed.add(block(entry.trim()));
    }
    return parsed.isEmpty() ? NONE : new TrustedProxies(List.copyOf(parsed));
  }

  private static Block block(String entry) {
    int slash = entry.indexOf('/');
    String address = slash < 0 ? entry : entry.substring(0, slash);
    InetAddress parsed = literal(address);
    if (parsed == null) {
      throw new IllegalArgumentException(
          "trusted proxy '"
              + entry
              + "' is not an IP address or address block (10.0.0.0/8, fd00::/8, 10.1.2.3)");
    }
    int max = parsed.getAddress().length * 8;
    int bits = max;
    if (slash >= 0) {
      String prefix = entry.substring(slash + 1);
      bits = prefix.matches("\\d{1,3}") ? Integer.parseInt(prefix) : -1;
      if (bits < 0 || bits > max) {
        throw new IllegalArgumentException(
            "trusted proxy '" + entry + "': the prefix length must be 0 to " + max);
      }
    }
    return new Block(parsed.getAddress(), bits);
  }

  /** {@code text} as an address when it is an IP literal (never a name: no DNS), else null. */
  public static InetAddress literal(String text) {
    if (IPV4.matcher(text).matches()) {
      for (String octet : text.split("\\.")) {
        if (Integer.parseInt(octet) > 255) {
          return null; // the JDK would look "256.1.1.1" up as a host name
        }
      }
    } else if (!IPV6.matcher(text).matches() || text.indexOf(':') < 0) {
      return null;
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** Whether a request from {@code peer} is believed about where it came from. */
  boolean trusts(InetAddress peer) {
    if (peer == null) {
      return false;
    }
    for (Block b : blocks) {
      if (b.contains(peer)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The client address of a request from {@code peer} with these {@code X-Forwarded-For} header
   * values: {@code peer} itself unless it is trusted; else the rightmost forwarded address that is
   * not a trusted proxy's. An entry that is not an address where one is needed ends the reading at
   * the last address read.
   */
  String client(String peer, List<String> forwardedFor) {
    if (blocks.isEmpty() || forwardedFor.isEmpty()) {
      return peer;
    }
    // Jetty writes an IPv6 peer in brackets.
    InetAddress current = peer == null ? null : literal(unwrap(peer));
    if (!trusts(current)) {
      return peer;
    }
    String client = peer;
    for (int h = forwardedFor.size() - 1; h >= 0; h--) {
      String[] entries = forwardedFor.get(h).split(",", -1);
      for (int i = entries.length - 1; i >= 0; i--) {
        String entry = unwrap(entries[i].trim());
        InetAddress address = literal(entry);
        if (address == null) {
          return client;
        }
        client = address.getHostAddress();
        if (!trusts(address)) {
          return client;
        }
      }
    }
    return client;
  }

  /**
   * An entry without the brackets or port some proxies add ({@code [fd00::1]:443}, {@code
   * 1.2.3.4:80}).
   */
  private static String unwrap(String entry) {
    if (entry.startsWith("[")) {
      int end = entry.indexOf(']');
      return end < 0 ? entry : entry.substring(1, end);
    }
    int colon = entry.indexOf(':');
    if (colon > 0 && entry.indexOf(':', colon + 1) < 0) {
      return entry.substring(0, colon);
    }
    return entry;
  }
}
