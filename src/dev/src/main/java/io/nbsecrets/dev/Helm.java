package io.nbsecrets.dev;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The real helm binary (built by build.sh), acting as the cluster admin. */
public final class Helm {
  public static final Path CHART = Path.of("charts", "nbsecrets").toAbsolutePath();

  private final ControlPlane cp;

  public Helm(ControlPlane cp) {
    this.cp = cp;
  }

  /** {@code helm install RELEASE charts/nbsecrets -n NAMESPACE --set k=v ...}; its output. */
  public String install(String release, String namespace, Map<String, String> values)
      throws IOException, InterruptedException {
    List<String> args =
        new ArrayList<>(List.of("install", release, CHART.toString(), "-n", namespace));
    values.forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
    return run(args);
  }

  public String uninstall(String release, String namespace)
      throws IOException, InterruptedException {
    return run(List.of("uninstall", release, "-n", namespace, "--wait", "--timeout", "60s"));
  }

  public String run(List<String> args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(cp.binary("helm").toString());
    command.addAll(args);
    command.addAll(List.of("--kubeconfig", cp.kubeconfig(ControlPlane.ADMIN).toString()));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("HELM_CACHE_HOME", cp.dir().resolve("helm/cache").toString());
    pb.environment().put("HELM_CONFIG_HOME", cp.dir().resolve("helm/config").toString());
    pb.environment().put("HELM_DATA_HOME", cp.dir().resolve("helm/data").toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("helm " + String.join(" ", args) + " failed:\n" + out);
    }
    return out;
  }
}
