package io.nbsecrets.apiserver;

import io.nbsecrets.dev.ControlPlane;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The apiserver test tier's cluster: one real control plane (etcd, kube-apiserver,
 * kube-controller-manager) per test run, like envtest, shared by every class of the tier (each uses
 * namespaces of its own) and stopped when the run ends.
 *
 * <p>The binaries come from {@code e2e/control-plane/build.sh}. When they are absent and Go is on
 * the PATH, the first class of the tier runs that script (about 10 minutes cold); without Go, or
 * with {@code NBSECRETS_SKIP_APISERVER_TESTS=true}, the tier is skipped and says why.
 */
public final class RealApiServer implements BeforeAllCallback {
  /** The group of launchers (JupyterHub, say), which may start sessions for any user. */
  public static final String LAUNCHERS = "nbsecrets:launchers";

  /** Users with a static token: data scientists, and a launcher. */
  public static final Map<String, List<String>> USERS =
      Map.of(
          "alice", List.of(),
          "bob", List.of(),
          "carol", List.of(),
          "launcher", List.of(LAUNCHERS));

  private static ControlPlane shared;
  private static String unavailable;

  /** The running control plane (after {@link #beforeAll}). */
  public static synchronized ControlPlane get() {
    if (shared == null) {
      throw new IllegalStateException("RealApiServer extension not registered");
    }
    return shared;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    synchronized (RealApiServer.class) {
      if (shared == null && unavailable == null) {
        Optional<Path> bin = binaries();
        if (bin.isEmpty()) {
          unavailable = reasonUnavailable();
        } else {
          Path dir = Files.createTempDirectory("nbsecrets-control-plane-");
          long start = System.nanoTime();
          shared = ControlPlane.start(bin.get(), dir, USERS);
          System.out.printf(
              "[measure] control plane (etcd, kube-apiserver, kube-controller-manager) ready in"
                  + " %d ms at %s%n",
              TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), shared.url());
          ControlPlane cp = shared;
          context
              .getRoot()
              .getStore(ExtensionContext.Namespace.GLOBAL)
              .put(RealApiServer.class, (AutoCloseable) cp::close);
        }
      }
    }
    Assumptions.assumeTrue(unavailable == null, () -> unavailable);
  }

  private static Optional<Path> binaries() throws IOException, InterruptedException {
    if ("true".equalsIgnoreCase(System.getenv("NBSECRETS_SKIP_APISERVER_TESTS"))) {
      return Optional.empty();
    }
    Optional<Path> bin = ControlPlane.binaries();
    if (bin.isPresent() || !onPath("go")) {
      return bin;
    }
    Path script = Path.of("e2e", "control-plane", "build.sh").toAbsolutePath();
    System.out.println(
        "[apiserver tier] building the control plane with " + script + " (about 10 min cold)");
    Process p = new ProcessBuilder("bash", script.toString()).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException(script + " failed with exit code " + p.exitValue());
    }
    return ControlPlane.binaries();
  }

  private static String reasonUnavailable() {
    if ("true".equalsIgnoreCase(System.getenv("NBSECRETS_SKIP_APISERVER_TESTS"))) {
      return "apiserver tier skipped: NBSECRETS_SKIP_APISERVER_TESTS=true";
    }
    return "apiserver tier skipped: no control-plane binaries (set "
        + ControlPlane.BIN_ENV
        + " or run e2e/control-plane/build.sh, which needs Go)";
  }

  private static boolean onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, command))) {
        return true;
      }
    }
    return false;
  }
}
