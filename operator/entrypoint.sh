#!/bin/sh
# The nbsecrets image's entry point: one jar, three roles (operator, api, init; and init's refresh
# sidecar) chosen by the first argument. The JVM flags every role shares, then the init step's own.
#
#   @jvm.args                flags of this runtime's Java release (written by operator/Dockerfile)
#   MaxRAMPercentage         heap sized from the container's memory limit
#   ExitOnOutOfMemoryError   let Kubernetes restart the pod instead of limping on
#   -UsePerfData             no /tmp/hsperfdata_* file (the root filesystem is read-only; the
#                            init container's /tmp is a small emptyDir)
#   ErrorFile                crash reports to /tmp (an emptyDir where mounted) instead of the cwd
#   SharedArchiveFile        the AppCDS archive of the init step (-Xshare:auto: a mismatch only
#                            costs speed)
#   nbsecrets.init.native    the init step's JNI library (libcrypto's Fernet, file writes); the
#                            operator and the API never load it
#   -Xlog:disable -Xlog:all=warning:stderr
#                            JVM warnings (CDS included) to stderr only, not also to stdout:
#                            stdout carries the structured logs
#   -cp                      the init step's jar first, then the product jar (not -jar, which
#                            would open the product jar's 28,000 entries at every start)
#
# The operator runs on its own Java (25) when the image has one (operator-java), with the AOT cache
# of classes and method profiles that a training run made for it (operator.aot; JEP 483 and 515:
# the JIT's start-up work, a third of the operator's CPU in its first busy minutes, is mostly
# done ahead of time). The cache is used only by the JVM, jar and collector it was made with, and
# otherwise ignored (-XX:AOTMode=auto, with a warning): it costs speed, never a start. The init
# archive and the argument file are the other runtime's (Java 17's), and are not given to it.
#
# The init step, which starts in every session pod, also runs G1: Java 17 maps the archive's heap
# objects (the module graph among them) only under G1, which saves the step about a tenth of its
# start (docs/benchmarks.md). The long-running roles keep the collector the JVM picks for their
# container (the serial one under the chart's limits), which costs them less CPU. A collector
# named in the JVM's option variables is left alone (two would stop the JVM at its start).
# The session pod's steps, init and its refresh sidecar, compile with C1 alone
# (-XX:TieredStopAtLevel=1). The init step lives about 40 ms, too short for C2's code to pay back
# C2's compiling and the profiling code it needs first (0.85-0.92 of the Python reference's time,
# against 0.97-1.05 with the default JIT); the sidecar looks at a small file every 2 s and needs no
# C2 either (7 MB less memory, a third less CPU in its first 30 s; docs/benchmarks.md). A tiered
# setting named in the option variables is left alone.
set -eu
home=/opt/nbsecrets
java=java
archive="@$home/jvm.args -XX:SharedArchiveFile=$home/nbsecrets.jsa -Xshare:auto"
if [ "${1:-}" = operator ] && [ -x "$home/operator-java/bin/java" ]; then
  java=$home/operator-java/bin/java
  archive=
  if [ -f "$home/operator.aot" ]; then
    archive=-XX:AOTCache=$home/operator.aot
  fi
fi
options=" ${JAVA_TOOL_OPTIONS:-} ${JDK_JAVA_OPTIONS:-} ${_JAVA_OPTIONS:-} "
collector=
if [ "${1:-}" = init ]; then
  case $options in
    *-XX:[+-]Use*GC*) ;;
    *) collector=-XX:+UseG1GC ;;
  esac
fi
jit=
if [ "${1:-}" = init ] || [ "${1:-}" = refresh ]; then
  case $options in
    *-XX:TieredStopAtLevel=* | *-XX:[+-]TieredCompilation*) ;;
    *) jit=-XX:TieredStopAtLevel=1 ;;
  esac
fi
# shellcheck disable=SC2086 # $archive, $collector and $jit are whole flags or none, without spaces
exec "$java" $archive $collector $jit \
  -XX:MaxRAMPercentage=75 \
  -XX:+ExitOnOutOfMemoryError \
  -XX:-UsePerfData \
  '-XX:ErrorFile=/tmp/hs_err_pid%p.log' \
  -Dnbsecrets.init.native=$home/libnbsecrets-init.so \
  -Xlog:disable \
  -Xlog:all=warning:stderr \
  -cp $home/nbsecrets-init.jar:$home/nbsecrets.jar \
  io.nbsecrets.cli.Main "$@"
