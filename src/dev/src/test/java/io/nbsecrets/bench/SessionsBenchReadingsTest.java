package io.nbsecrets.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code bench sessions} reads from the operator: {@code jcmd <pid> GC.heap_info} as JDK 17
 * prints it, for each collector the operator may run, and its Prometheus text.
 */
class SessionsBenchReadingsTest {
  @Test
  void g1HasOneLineForTheWholeHeap() {
    String g1 =
        """
        26518:
         garbage-first heap   total 153600K, used 103853K [0x00000000e8000000, 0x0000000100000000)
          region size 1024K, 49 young (50176K), 7 survivors (7168K)
         Metaspace       used 51683K, committed 52544K, reserved 1114112K
          class space    used 5820K, committed 6336K, reserved 1048576K
        """;
    assertThat(SessionsBench.heapUsed(g1)).isEqualTo(103853L * 1024);
  }

  @Test
  void theSerialCollectorCountsBothGenerationsAndNotTheirSpacesPercentages() {
    String serial =
        """
        31337:
         def new generation   total 39296K, used 1210K [0x00000000e8000000, 0x00000000eaaa0000, 0x00000000f0000000)
          eden space 34944K,   3% used [0x00000000e8000000, 0x00000000e812e8d0, 0x00000000ea220000)
          from space 4352K,   0% used [0x00000000ea220000, 0x00000000ea220000, 0x00000000ea660000)
          to   space 4352K,   0% used [0x00000000ea660000, 0x00000000ea660000, 0x00000000eaaa0000)
         tenured generation   total 87424K, used 60123K [0x00000000f0000000, 0x00000000f5560000, 0x0000000100000000)
           the space 87424K,  68% used [0x00000000f0000000, 0x00000000f38b6c10, 0x00000000f38b6e00, 0x00000000f5560000)
         Metaspace       used 51683K, committed 52544K, reserved 1114112K
          class space    used 5820K, committed 6336K, reserved 1048576K
        """;
    assertThat(SessionsBench.heapUsed(serial)).isEqualTo((1210L + 60123) * 1024);
  }

  @Test
  void anAnswerWithoutAHeapIsNotANumber() {
    assertThat(SessionsBench.heapUsed("12345:\ncom.sun.tools.attach.AttachNotSupportedException"))
        .isEqualTo(-1);
  }

  @Test
  void aFailedJcmdIsNamedByWhatItSaidNotByTheProcessId() {
    // As Java 25's jcmd prints a failed attach (exit status 1): the pid line, then the exception.
    var failed =
        new SessionsBench.Jcmd(
            1,
            """
            999999:
            java.io.IOException: non existent JVM pid: 999999
            	at jdk.attach/sun.tools.attach.VirtualMachineImpl.<init>(VirtualMachineImpl.java:91)
            """);
    assertThat(failed.firstLine()).isEqualTo("java.io.IOException: non existent JVM pid: 999999");
    assertThat(new SessionsBench.Jcmd(1, "").firstLine()).isEqualTo("exit 1");
  }

  @Test
  void theReconcileCountIsTheTimersCountSummedOverItsSeries() {
    String text =
        """
        # HELP nbsecrets_operator_reconcile_seconds Time to reconcile one NotebookSession
        # TYPE nbsecrets_operator_reconcile_seconds summary
        nbsecrets_operator_reconcile_seconds_count 1882
        nbsecrets_operator_reconcile_seconds_sum 5156.088712703
        nbsecrets_operator_reconcile_seconds_max 13.195962276
        operator_sdk_controllers_execution_reconcile_seconds_count{controller="notebooksession"} 9
        """;
    assertThat(SessionsBench.reconcileCount(text)).isEqualTo(1882);
    assertThat(
            SessionsBench.reconcileCount(
                "nbsecrets_operator_reconcile_seconds_count{result=\"ok\"} 3.0\n"
                    + "nbsecrets_operator_reconcile_seconds_count{result=\"failed\"} 2.0\n"))
        .isEqualTo(5);
    assertThat(SessionsBench.reconcileCount("")).isEqualTo(-1);
  }

  @Test
  void theMachinesIdleIsIdleAndIowaitAndEverythingElseIsBusy() {
    // user nice system idle iowait irq softirq steal guest guest_nice, in USER_HZ (1/100 s)
    String before =
        """
        cpu  1000 0 200 5000 100 0 50 0 0 0
        cpu0 500 0 100 2500 50 0 25 0 0 0
        cpu1 500 0 100 2500 50 0 25 0 0 0
        intr 12 0 0
        """;
    String after =
        """
        cpu  1900 10 300 5080 120 0 60 30 0 0
        cpu0 950 5 150 2540 60 0 30 15 0 0
        cpu1 950 5 150 2540 60 0 30 15 0 0
        intr 15 0 0
        """;
    MachineCpu.Reading d = MachineCpu.parse(after).minus(MachineCpu.parse(before));
    assertThat(d.busy()).isCloseTo(10.5, within(1e-9)); // 9 + 0.1 + 1 + 0.1 + 0.3 (steal)
    assertThat(d.idle()).isCloseTo(1.0, within(1e-9)); // 0.8 idle + 0.2 iowait
    assertThat(d.busyShare()).isCloseTo(10.5 / 11.5, within(1e-9));
    assertThat(d.cores()).isEqualTo(2);
  }

  @Test
  void thisMachinesProcStatReads() {
    var now = MachineCpu.read();
    assumeTrue(now.isPresent(), "no /proc/stat here");
    assertThat(now.get().busy() + now.get().idle()).isPositive();
    assertThat(now.get().cores()).isPositive();
  }

  @Test
  void somethingElseThanProcStatIsRefused() {
    assertThatThrownBy(() -> MachineCpu.parse("intr 12 0 0\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not /proc/stat");
  }

  @Test
  void anOperatorInAnImageRootIsAskedForItsHeapByAJava25Jcmd(@TempDir Path dir) throws Exception {
    Path own = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Path jdk25 = Files.createDirectories(dir.resolve("jdk25/bin"));
    Path jcmd25 = Files.createFile(jdk25.resolve("jcmd"));
    Files.setPosixFilePermissions(jcmd25, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path root = dir.resolve("image-root");
    assertThat(SessionsBench.jcmdFor(null, dir.resolve("jdk25").toString())).isEqualTo(own);
    assertThat(SessionsBench.jcmdFor(root, dir.resolve("jdk25").toString())).isEqualTo(jcmd25);
    // Without a Java 25 JDK, this JVM's: the heap is then not read, as the bench says.
    assertThat(SessionsBench.jcmdFor(root, dir.resolve("none").toString())).isEqualTo(own);
  }
}
