package io.nbsecrets.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

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
}
