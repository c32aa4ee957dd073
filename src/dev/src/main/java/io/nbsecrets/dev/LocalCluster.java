package io.nbsecrets.dev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A one-node cluster on this machine, for {@code e2e/node/cluster.sh}: a {@link ControlPlane} on
 * the machine's address and a {@link LocalNode} beside it, with the images of {@value
 * LocalNode#IMAGES_ENV} imported when set. Writes {@code DIR/kubeconfig} (cluster-admin), runs
 * until interrupted, then stops the node (removing what it left on the machine) and the control
 * plane.
 */
public final class LocalCluster {
  private LocalCluster() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: LocalCluster DIR");
      System.exit(2);
    }
    Path dir = Files.createDirectories(Path.of(args[0]).toAbsolutePath());
    Path bin =
        ControlPlane.binaries()
            .orElseThrow(
                () ->
                    new IOException(
                        "no control-plane binaries: run e2e/control-plane/build.sh (or set "
                            + ControlPlane.BIN_ENV
                            + ")"));
    Path built = LocalNode.build();
    // A new cluster each time: what an earlier run left (logs, etcd's data) goes first.
    LocalNode.stop(dir.resolve("node"));
    LocalProcesses.deleteTree(dir.resolve("control-plane"));
    LocalProcesses.deleteTree(dir.resolve("node"));
    ControlPlane cp = LocalNode.controlPlane(bin, dir.resolve("control-plane"), Map.of());
    LocalNode node;
    try {
      node = LocalNode.start(cp, built, Files.createDirectories(dir.resolve("node")));
    } catch (IOException | RuntimeException e) {
      cp.close();
      throw e;
    }
    Path kubeconfig = dir.resolve("kubeconfig");
    // On Ctrl-C or SIGTERM the node's and the control plane's own hooks stop them (the node's
    // removes what it left on the machine); the kubeconfig goes with them.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    Files.deleteIfExists(kubeconfig);
                  } catch (IOException e) {
                    // nothing to do on the way out
                  }
                },
                "local-cluster-kubeconfig"));
    String images = System.getenv(LocalNode.IMAGES_ENV);
    if (images != null && !images.isBlank()) {
      for (String name : List.of("nbsecrets", "jupyter")) {
        Path archive = Path.of(images, name + ".tar");
        if (Files.isRegularFile(archive)) {
          node.importImage(name, archive);
        }
      }
    }
    LocalProcesses.replacePrivate(kubeconfig, Files.readString(cp.kubeconfig(ControlPlane.ADMIN)));
    System.out.printf(
        "one-node cluster ready in %d ms: node %s, API server %s%n"
            + "  export KUBECONFIG=%s%n"
            + "stop with Ctrl-C (or SIGTERM): the node is removed from this machine%n",
        node.coldStart().toMillis(), LocalNode.NAME, cp.url(), kubeconfig);
    System.out.flush();
    new CountDownLatch(1).await();
  }
}
