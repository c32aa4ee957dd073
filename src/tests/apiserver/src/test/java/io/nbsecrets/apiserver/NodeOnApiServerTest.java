package io.nbsecrets.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.dev.ControlPlane;
import io.nbsecrets.dev.LocalNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real node ({@code e2e/node/node.sh}: containerd, runc, the kubelet, kube-proxy, kube-scheduler)
 * joined to a control plane of its own (pods of the other classes of the tier stay unscheduled
 * there): it registers Ready, runs a pod under Pod Security {@code restricted} as the session pods
 * run (non-root, read-only root, no capabilities, seccomp, an in-memory volume, a Secret volume
 * with fsGroup), and its teardown leaves nothing on the machine.
 */
@Tag("apiserver")
@ExtendWith(RealApiServer.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeOnApiServerTest {
  private static final String NS = "node-restricted";

  private ControlPlane cp;
  private LocalNode node;
  private KubernetesClient admin;
  private HostState before;
  private String cgroupName;
  private Path nodeBin;

  /**
   * Whether a kube-proxy rule as an earlier node leaves it (one that never ran {@code down}) was
   * planted before this node started: false when a KUBE-SERVICES chain was there already.
   */
  private boolean planted;

  /** The KUBE-SERVICES chain as node.sh left it when it called the node Ready. */
  private String servicesWhenReady;

  /** The comment of the rule kube-proxy writes for the kubernetes Service; node.sh waits for it. */
  private static final String KUBERNETES_SERVICE_RULE = "default/kubernetes:https cluster IP";

  @BeforeAll
  void start() throws Exception {
    Assumptions.assumeTrue(
        LocalNode.runnable(), "a real node needs root (containerd, runc, the kubelet)");
    Path built = LocalNode.build();
    nodeBin = built.resolve("bin");
    cp =
        LocalNode.controlPlane(
            ControlPlane.binaries().orElseThrow(),
            Files.createTempDirectory("nbsecrets-node-cp-"),
            Map.of());
    admin = cp.client(ControlPlane.ADMIN);
    before = HostState.capture("none");
    planted = plantLeftoverProxyRule();
    node = LocalNode.start(cp, built, Files.createTempDirectory("nbsecrets-node-"));
    servicesWhenReady = natServiceRules();
    cgroupName = node.cgroupName();
    System.out.printf(
        "[measure] node (containerd, kubelet, kube-proxy, CoreDNS, kube-scheduler) cold start to"
            + " Ready: %d ms%n",
        node.coldStart().toMillis());
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
    if (admin != null) {
      admin.close();
    }
    if (cp != null) {
      cp.close();
    }
  }

  private Path kubeBin() {
    return cp.binary("kubelet").getParent();
  }

  /**
   * A rule shaped like the one {@code node.sh} waits for, as a kube-proxy that was never stopped
   * cleanly leaves it: without the clean-up, the new node would be called Ready before its own
   * kube-proxy's first sync, and a pod started then could not reach the API server.
   */
  private static boolean plantLeftoverProxyRule() throws Exception {
    if (iptables("-t", "nat", "-N", "KUBE-SERVICES") != 0) {
      return false; // a chain of a kube-proxy that runs here, or ran: not ours to touch
    }
    assertThat(
            iptables(
                "-t",
                "nat",
                "-A",
                "KUBE-SERVICES",
                "-m",
                "comment",
                "--comment",
                KUBERNETES_SERVICE_RULE,
                "-j",
                "RETURN"))
        .isZero();
    return true;
  }

  private static String natServiceRules() throws Exception {
    Process p =
        new ProcessBuilder("iptables", "-w", "-t", "nat", "-S", "KUBE-SERVICES")
            .redirectErrorStream(true)
            .start();
    String rules = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("iptables -t nat -S KUBE-SERVICES: %s", rules).isZero();
    return rules;
  }

  private static int iptables(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("iptables", "-w"));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  @Test
  @Order(1)
  void aKubeProxyRuleAnEarlierNodeLeftIsClearedBeforeTheNodeIsCalledReady() throws Exception {
    Assumptions.assumeTrue(planted, "a KUBE-SERVICES chain was there before the test");
    // When node.sh called the node Ready, the planted rule was gone and the one there was this
    // node's kube-proxy's (to the Service's chain, not RETURN).
    assertThat(servicesWhenReady.lines().filter(l -> l.contains(KUBERNETES_SERVICE_RULE)))
        .isNotEmpty()
        .allSatisfy(l -> assertThat(l).doesNotContain("-j RETURN").contains("-j KUBE-SVC-"));
  }

  @Test
  @Order(1)
  void theNodeRegistersReadyWithItsRuntime() {
    Node n = admin.nodes().withName(LocalNode.NAME).get();
    assertThat(n.getStatus().getConditions())
        .anySatisfy(
            c -> {
              assertThat(c.getType()).isEqualTo("Ready");
              assertThat(c.getStatus()).isEqualTo("True");
            });
    assertThat(n.getStatus().getNodeInfo().getKubeletVersion()).isEqualTo("v1.37.2");
    assertThat(n.getStatus().getNodeInfo().getContainerRuntimeVersion())
        .isEqualTo("containerd://2.4.2+unknown");
    assertThat(n.getStatus().getNodeInfo().getOperatingSystem()).isEqualTo("linux");
  }

  @Test
  @Order(2)
  void aRestrictedPodRunsNonRootReadOnlyWithoutCapabilitiesOnATmpfs() {
    admin
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(NS)
                .addToLabels("pod-security.kubernetes.io/enforce", "restricted")
                .endMetadata()
                .build())
        .create();
    admin
        .secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName("files")
                .endMetadata()
                .addToStringData("a", "node-test-value")
                .build())
        .create();
    Pod pod =
        Serialization.unmarshal(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: checks}
            spec:
              restartPolicy: Never
              automountServiceAccountToken: false
              securityContext:
                runAsNonRoot: true
                runAsUser: 1000
                runAsGroup: 1000
                fsGroup: 2000
                seccompProfile: {type: RuntimeDefault}
              volumes:
                - {name: mem, emptyDir: {medium: Memory}}
                - {name: files, secret: {secretName: files, defaultMode: 0400}}
              containers:
                - name: checks
                  image: local/busybox:1
                  imagePullPolicy: Never
                  command: [sh, -c]
                  args:
                    - |
                      {
                      echo "id $(id)"
                      grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status
                      echo "mem $(grep ' /mem ' /proc/mounts | cut -d' ' -f3)"
                      echo "file $(stat -L -c '%a %u %g' /files/a) $(cat /files/a)"
                      touch /root-write 2>/dev/null && echo "root writable" || echo "root read-only"
                      api="api unreachable"
                      for try in 1 2 3 4 5; do
                        if nc -w 5 "$KUBERNETES_SERVICE_HOST" "$KUBERNETES_SERVICE_PORT" </dev/null >/dev/null 2>&1
                        then api="api connected at try $try"; break; fi
                        sleep 1
                      done
                      echo "$api"
                      echo x > /mem/f && echo "mem writable $(stat -c '%a' /mem)"
                      } > /dev/termination-log 2>&1
                  securityContext:
                    allowPrivilegeEscalation: false
                    readOnlyRootFilesystem: true
                    capabilities: {drop: [ALL]}
                  volumeMounts:
                    - {name: mem, mountPath: /mem}
                    - {name: files, mountPath: /files}
            """,
            Pod.class);
    long created = System.nanoTime();
    admin.pods().inNamespace(NS).resource(pod).create();
    Pod done =
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .until(
                () -> admin.pods().inNamespace(NS).withName("checks").get(),
                p -> "Succeeded".equals(p.getStatus().getPhase()));
    System.out.printf(
        "[measure] restricted pod created to Succeeded on the real node: %d ms%n",
        Duration.ofNanos(System.nanoTime() - created).toMillis());
    assertThat(done.getSpec().getNodeName()).isEqualTo(LocalNode.NAME);
    String report =
        done.getStatus().getContainerStatuses().get(0).getState().getTerminated().getMessage();
    report
        .lines()
        .filter(line -> line.startsWith("api "))
        .forEach(
            line -> System.out.println("[measure] the kubernetes Service from a pod: " + line));
    assertThat(report)
        .contains("id uid=1000 gid=1000 groups=1000,2000")
        .containsPattern("CapEff:\\s+0000000000000000")
        .containsPattern("CapBnd:\\s+0000000000000000")
        .containsPattern("NoNewPrivs:\\s+1")
        .containsPattern("Seccomp:\\s+2")
        .contains("mem tmpfs")
        // 0400 with fsGroup becomes 0440, group fsGroup: the kubelet's rule for Secret volumes.
        .contains("file 440 0 2000 node-test-value")
        .contains("root read-only")
        // The API server's port through the kubernetes Service (kube-proxy), from the pod's
        // network (busybox's TLS cannot talk to it; the chart's pods do, in SessionOnNodeTest).
        // node.sh waits for kube-proxy's rule before it calls the node Ready, so the first try
        // connects; the pod tries five times so that a slow rule shows as "at try 2", not a
        // failure.
        .contains("api connected at try")
        // tmpfs made 1777 by the kubelet, with the set-group-ID bit of fsGroup.
        .contains("mem writable 3777");
  }

  @Test
  @Order(3)
  void aPodBecomesReadyAndItsDeletionStopsIt() throws Exception {
    Pod pod =
        Serialization.unmarshal(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: sleeper}
            spec:
              terminationGracePeriodSeconds: 1
              automountServiceAccountToken: false
              securityContext:
                runAsNonRoot: true
                runAsUser: 1000
                seccompProfile: {type: RuntimeDefault}
              containers:
                - name: sleeper
                  image: local/busybox:1
                  imagePullPolicy: Never
                  command: [sleep, "3600"]
                  securityContext:
                    allowPrivilegeEscalation: false
                    readOnlyRootFilesystem: true
                    capabilities: {drop: [ALL]}
            """,
            Pod.class);
    long created = System.nanoTime();
    admin.pods().inNamespace(NS).resource(pod).create();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> admin.pods().inNamespace(NS).withName("sleeper").get(),
            p ->
                p.getStatus().getConditions() != null
                    && p.getStatus().getConditions().stream()
                        .anyMatch(
                            c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus())));
    System.out.printf(
        "[measure] pod created to Ready on the real node: %d ms%n",
        Duration.ofNanos(System.nanoTime() - created).toMillis());
    // The check of the last test sees each kind of thing a running node leaves.
    HostState running = HostState.capture(cgroupName);
    List<String> seen =
        before.leftBy(running, HostState.nodeProcesses(before, nodeBin, kubeBin(), cgroupName));
    assertThat(seen)
        .anyMatch(s -> s.startsWith("mount " + node.dir()))
        .anyMatch(s -> s.equals("network interface nbs0"))
        .anyMatch(s -> s.startsWith("iptables iptables-save filter chain KUBE-"))
        .anyMatch(s -> s.startsWith("cgroup ") && s.endsWith(cgroupName))
        .anyMatch(s -> s.startsWith("process ") && s.contains("containerd-shim-runc-v2"))
        .anyMatch(s -> s.startsWith("process ") && s.endsWith("sleep 3600"))
        .anyMatch(s -> s.startsWith("file /var/lib/kubelet"));

    long deleted = System.nanoTime();
    admin.pods().inNamespace(NS).withName("sleeper").delete();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> admin.pods().inNamespace(NS).withName("sleeper").get() == null);
    System.out.printf(
        "[measure] pod deleted to gone on the real node: %d ms%n",
        Duration.ofNanos(System.nanoTime() - deleted).toMillis());
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(
                        HostState.nodeProcesses(before, nodeBin, kubeBin(), cgroupName).stream()
                            .map(HostState::cmdline)
                            .filter(c -> c.contains("sleep 3600")))
                    .isEmpty());
  }

  @Test
  @Order(4)
  void stoppingTheNodeLeavesNothingOnTheMachine() throws Exception {
    long stopping = System.nanoTime();
    node.close();
    System.out.printf(
        "[measure] node stopped and cleaned up in %d ms%n",
        Duration.ofNanos(System.nanoTime() - stopping).toMillis());
    HostState after = HostState.capture(cgroupName);
    List<Long> left = HostState.nodeProcesses(before, nodeBin, kubeBin(), cgroupName);
    assertThat(before.leftBy(after, left)).isEmpty();
  }
}
