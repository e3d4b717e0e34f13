#!/usr/bin/env bash
# Launcher of ncf-spark's command line (io.ncf.spark.cli.NcfSparkCli), e.g. './ncf-spark.sh compare --help', in a
# local JVM with Spark on the class path. (Named .sh because ./ncf-spark is the module's directory.)
# Builds ncf-spark and the modules it needs when their sources are newer than the last build, caches the runtime
# class path (ncf's jars plus Spark's, which the library declares 'provided': a cluster brings its own, and here this
# JVM is the cluster) and runs java with Spark 4's Java 17 module openings.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$here/ncf-spark/target"
stamp="$target/.launcher-build"        # touched after each successful build: Maven may leave the jar's time alone
cp_file="$target/classpath.txt"
mvn_quiet() {
  # Debian's Maven 3.8 prints ANSI reset codes even in batch mode with -q: strip them (pipefail keeps mvn's status)
  (cd "$here" && mvn -q -B -Dstyle.color=never "$@" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g') >&2
}
if [ ! -f "$stamp" ] || [ -n "$(find "$here" -path '*/src/main/*' -newer "$stamp" -print -quit 2>/dev/null)" ] \
   || [ -n "$(find "$here" -maxdepth 2 -name pom.xml -newer "$stamp" -print -quit)" ]; then
  echo "ncf-spark: building ncf-spark and the modules it needs (the first build downloads Spark and takes a few minutes) ..." >&2
  mvn_quiet -DskipTests -Dmaven.javadoc.skip -Dmaven.source.skip install -pl ncf-spark -am
  touch "$stamp"
fi
if [ ! -s "$cp_file" ] || [ -n "$(find "$here" -maxdepth 2 -name pom.xml -newer "$cp_file" -print -quit)" ]; then
  # No one includeScope gives compile + runtime + provided ('compile' is compile+provided+system, 'runtime' is
  # compile+runtime): the union of the two is the tests' class path less the test-only jars.
  mvn_quiet dependency:build-classpath -pl ncf-spark -DincludeScope=compile -Dmdep.outputFile="$cp_file.compile"
  mvn_quiet dependency:build-classpath -pl ncf-spark -DincludeScope=runtime -Dmdep.outputFile="$cp_file.runtime"
  { tr ':' '\n' < "$cp_file.compile"; echo; tr ':' '\n' < "$cp_file.runtime"; echo; } | awk 'NF && !seen[$0]++' | paste -sd: - > "$cp_file.tmp"
  mv "$cp_file.tmp" "$cp_file"
  rm -f "$cp_file.compile" "$cp_file.runtime"
fi
jar="$(ls "$target"/ncf-spark-*.jar 2>/dev/null | grep -v -e '-sources\.jar$' -e '-javadoc\.jar$' -e '-tests\.jar$' | head -n 1 || true)"
[ -n "$jar" ] || { echo "ncf-spark: no ncf-spark jar in $target (remove $stamp to rebuild)" >&2; exit 1; }
# Spark 4 on Java 17 needs these module openings: Spark's JavaModuleOptions, as spark-submit passes them (ncf-spark's
# surefire argLine less two). --add-modules=jdk.incubator.vector lets MLlib's BLAS take its vectorized Java
# implementation, as it does under spark-submit, so ALS is timed as users run it; the JVM then prints one line saying
# that an incubator module is in use.
opens=(--add-modules=jdk.incubator.vector --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true)
# Spark logs every job at INFO: the command line's own log4j2 file keeps the console to warnings. It is not at the
# jar's root, where it would override the logging of every application that uses the library.
log4j="$here/ncf-spark/src/main/resources/io/ncf/spark/cli/log4j2-cli.properties"
# In local mode the driver is the whole cluster: the tasks, ncf's off-heap tables and the collected dataset share it.
# NCF_SPARK_JAVA_OPTS replaces the memory settings.
exec java ${NCF_SPARK_JAVA_OPTS:--Xmx6g -Dorg.bytedeco.javacpp.maxbytes=10G -Dorg.bytedeco.javacpp.maxphysicalbytes=16G} \
  -XX:+IgnoreUnrecognizedVMOptions "${opens[@]}" -Dlog4j2.configurationFile="$log4j" \
  -cp "$jar:$(cat "$cp_file")" io.ncf.spark.cli.NcfSparkCli "$@"
