#!/usr/bin/env bash
# kafka-local.sh — a real Apache Kafka 3.9.x (KRaft) broker for Weir's tests and
# development, run from its Maven Central jars with the machine's Java and Maven.
#
#   scripts/kafka-local.sh start [--brokers 1|3] [--dir DIR] [--owner-pid PID] [--secure SECDIR]
#       Starts 1 or 3 combined broker+controller nodes on free 127.0.0.1 ports.
#       stdout gets exactly two lines:   bootstrap=127.0.0.1:PORT[,...]
#                                        dir=/path/to/run/dir
#       Everything else goes to stderr. --owner-pid: stop the cluster by itself
#       once that process has exited (so a crashed test run leaks no broker).
#       --secure SECDIR: every node also gets an SSL listener (TLS, client
#       certificate required) and a SASL_SSL listener (PLAIN, SCRAM-SHA-256 and
#       SCRAM-SHA-512), and stdout gets two more lines, ssl=... and sasl_ssl=...
#       SECDIR holds ca.pem (the CA that signed the broker and client
#       certificates), broker.pem (the broker's unencrypted PKCS#8 key and
#       certificate) and users (lines "NAME PASSWORD": each becomes a PLAIN, a
#       SCRAM-SHA-256 and a SCRAM-SHA-512 user).
#   scripts/kafka-local.sh stop --dir DIR
#       Stops exactly the processes `start` recorded in DIR (SIGTERM, then
#       SIGKILL after a timeout) and removes DIR.
#   scripts/kafka-local.sh fetch
#       Only fetches the jars into the cache (for CI install steps).
#
# Environment (all optional):
#   WEIR_CACHE_DIR             jar cache root (default $HOME/.cache/weir)
#   WEIR_KAFKA_JVM_OPTS        broker JVM flags (default: small heap, SerialGC)
#   WEIR_KAFKA_START_TIMEOUT   seconds to wait for the cluster (default 60)
#   WEIR_KAFKA_STOP_TIMEOUT    seconds between SIGTERM and SIGKILL (default 15)
#   WEIR_KAFKA_LOG_LEVEL       broker log level (default INFO)
#   JAVA_HOME                  Java to use (default: java on PATH)
#   MAVEN_OPTS                 passed to Maven as usual (e.g. -Dmaven.repo.local=...)
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
SELF="$SCRIPT_DIR/$(basename -- "${BASH_SOURCE[0]}")"
POM="$SCRIPT_DIR/kafka/pom.xml"

MARKER=".weir-kafka-local"   # marks a run dir as ours; stop refuses dirs without it
PIDS_FILE="pids"             # lines: "<name> <pid>", name = nodeN | watchdog

DEFAULT_JVM_OPTS="-Xms256m -Xmx512m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true"
TOOL_JVM_OPTS="-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true"

log() { printf 'kafka-local: %s\n' "$*" >&2; }
die() { printf 'kafka-local: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat >&2 <<'EOF'
usage:
  scripts/kafka-local.sh start [--brokers 1|3] [--dir DIR] [--owner-pid PID] [--secure SECDIR]
  scripts/kafka-local.sh stop --dir DIR
  scripts/kafka-local.sh fetch

start prints `bootstrap=HOST:PORT[,...]` and `dir=DIR` on stdout; pass that DIR to stop.
EOF
}

# ---------------------------------------------------------------- prerequisites

find_java() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    JAVA="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    JAVA=$(command -v java)
  else
    die "java not found (needs Java 17, 11 at the least): install openjdk-17-jre-headless and maven (apt-get install -y openjdk-17-jre-headless maven), or set JAVA_HOME"
  fi
  local ver major
  ver=$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)
  [[ -n "$ver" ]] || die "could not read the version of $JAVA ('$JAVA -version' printed no version); install openjdk-17-jre-headless"
  if [[ "$ver" == 1.* ]]; then major=${ver#1.}; major=${major%%.*}; else major=${ver%%[.+-]*}; fi
  if ! [[ "$major" =~ ^[0-9]+$ ]] || (( major < 11 )); then
    die "$JAVA is Java $ver; Kafka 3.9 needs Java 11+ (17 recommended): install openjdk-17-jre-headless or point JAVA_HOME at a JDK 17"
  fi
}

kafka_version() {
  [[ -f "$POM" ]] || die "missing $POM (the jar manifest this script fetches with Maven)"
  local v
  v=$(sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$POM" | head -n1)
  [[ -n "$v" ]] || die "no <kafka.version> property in $POM"
  printf '%s\n' "$v"
}

pom_hash() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum <"$POM" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 <"$POM" | cut -d' ' -f1
  else cksum <"$POM" | cut -d' ' -f1,2 | tr ' ' '-'
  fi
}

# ---------------------------------------------------------------- jars

# Sets KAFKA_VERSION and LIBS; fetches the jars with Maven unless the cache
# already holds a complete set made from this very pom.
ensure_jars() {
  KAFKA_VERSION=$(kafka_version)
  local cache_root="${WEIR_CACHE_DIR:-${HOME:?HOME is unset; set WEIR_CACHE_DIR}/.cache/weir}"
  local home="$cache_root/kafka-$KAFKA_VERSION"
  LIBS="$home/libs"
  local want; want=$(pom_hash)
  if [[ -f "$LIBS/.complete" && "$(cat "$LIBS/.complete")" == "$want" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 ||
    die "mvn not found; it is needed once to fetch the Kafka $KAFKA_VERSION jars from Maven Central into $LIBS: install maven (apt-get install -y maven)"
  mkdir -p "$home" || die "cannot create the jar cache dir $home (set WEIR_CACHE_DIR to a writable dir)"

  # One fetch at a time per cache dir (parallel test runs may all call start).
  # The lock fd lives only in this subshell, so brokers started later never hold it.
  (
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$home/.lock"
      flock 9
    fi
    if [[ -f "$LIBS/.complete" && "$(cat "$LIBS/.complete")" == "$want" ]]; then
      exit 0
    fi
    local tmp t0=$SECONDS
    tmp=$(mktemp -d "$home/libs.tmp.XXXXXX")
    log "fetching Kafka $KAFKA_VERSION jars with Maven into $LIBS (one-time) ..."
    # Maven prints to stdout; keep stdout for bootstrap=/dir= only (and drop the
    # stray colour codes some Maven 3.8 builds print even with -q -B).
    local esc; esc=$(printf '\033')
    if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$tmp" 2>&1 |
        sed -e "s/${esc}\[[0-9;]*m//g" -e '/^[[:space:]]*$/d' >&2; then
      rm -rf -- "$tmp"
      die "Maven could not fetch the Kafka $KAFKA_VERSION jars (see its errors above). Check that Maven Central is reachable (proxy/mirror in ~/.m2/settings.xml) and re-run: scripts/kafka-local.sh fetch"
    fi
    if [[ ! -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" || ! -f "$tmp/kafka-clients-$KAFKA_VERSION.jar" ]]; then
      rm -rf -- "$tmp"
      die "Maven finished but kafka_2.13-$KAFKA_VERSION.jar / kafka-clients-$KAFKA_VERSION.jar are missing from its output; check $POM"
    fi
    printf '%s\n' "$want" >"$tmp/.complete"
    rm -rf -- "$LIBS"
    mv -- "$tmp" "$LIBS"
    log "fetched $(find "$LIBS" -name '*.jar' | wc -l | tr -d ' ') jars in $((SECONDS - t0))s"
  )
}

# ---------------------------------------------------------------- helpers

# Prints N distinct free TCP ports on 127.0.0.1, space separated.
pick_ports() {
  local n=$1
  if command -v python3 >/dev/null 2>&1 && python3 -c 'import socket' >/dev/null 2>&1; then
    python3 - "$n" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
    return
  fi
  # Fallback: random ports below the usual ephemeral range that nothing answers on.
  local ports=() p tries=0
  while (( ${#ports[@]} < n )); do
    (( ++tries < 1000 )) || die "could not find $n free ports on 127.0.0.1"
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
    [[ " ${ports[*]} " == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then ports+=("$p"); fi
  done
  echo "${ports[*]}"
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Running, and not a zombie (an exited child that a non-reaping init never collects).
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
  [[ "$st" != Z* ]]
}

# A Kafka cluster id: 16 random bytes, base64url without padding, not starting with '-'.
new_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ ${#id} -eq 22 && "$id" != -* ]] && break
  done
  printf '%s\n' "$id"
}

canon_dir() { (cd -- "$1" 2>/dev/null && pwd -P); }

# Is PID (recorded under NAME in run dir DIR) still the process we started?
# Guards against PID reuse: the command line must name this run dir.
owned() {
  local dir=$1 name=$2 pid=$3 args
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  alive "$pid" || return 1
  args=$(ps -ww -o args= -p "$pid" 2>/dev/null) || return 1
  case "$name" in
    node*)    [[ "$args" == *" kafka.Kafka $dir/$name/server.properties" ]] ;;
    watchdog) [[ "$args" == *"kafka-local.sh _watch --dir $dir --owner-pid "* ]] ;;
    *)        return 1 ;;
  esac
}

# Gives init a moment (<= 2 s) to collect exited processes, so callers that
# check for leftover java processes right after stop see none.
await_reaped() {
  local tries=10 p busy
  while (( tries-- > 0 )); do
    busy=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && busy=1; done
    (( busy )) || return 0
    sleep 0.2
  done
}

# Stops the processes recorded in DIR/pids that are still ours. Returns non-zero
# if any survived SIGKILL.
stop_recorded() {
  local dir=$1 timeout=$2 name pid
  local -a names=() pids=()
  [[ -f "$dir/$PIDS_FILE" ]] || return 0
  while read -r name pid; do
    [[ -n "${name:-}" ]] || continue
    [[ "$pid" == "$$" ]] && continue           # the watchdog stopping its own cluster
    if owned "$dir" "$name" "$pid"; then
      names+=("$name"); pids+=("$pid")
    fi
  done <"$dir/$PIDS_FILE"
  (( ${#pids[@]} )) || return 0

  log "stopping ${names[*]} (pids ${pids[*]}) with SIGTERM ..."
  local i
  for i in "${!pids[@]}"; do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  local deadline=$((SECONDS + timeout)) left
  while :; do
    left=0
    for i in "${!pids[@]}"; do alive "${pids[$i]}" && left=1; done
    (( left )) || { await_reaped "${pids[@]}"; return 0; }
    (( SECONDS < deadline )) || break
    sleep 0.2
  done
  for i in "${!pids[@]}"; do
    if owned "$dir" "${names[$i]}" "${pids[$i]}"; then
      log "${names[$i]} (pid ${pids[$i]}) still running after ${timeout}s; sending SIGKILL"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
  done
  deadline=$((SECONDS + 10))
  while (( SECONDS < deadline )); do
    left=0
    for i in "${!pids[@]}"; do alive "${pids[$i]}" && left=1; done
    (( left )) || { await_reaped "${pids[@]}"; return 0; }
    sleep 0.2
  done
  log "some processes survived SIGKILL: ${pids[*]}"
  return 1
}

# ---------------------------------------------------------------- start

write_log4j() {
  local level=${WEIR_KAFKA_LOG_LEVEL:-INFO}
  cat >"$1" <<EOF
log4j.rootLogger=$level, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=$level
log4j.logger.org.apache.kafka=$level
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
log4j.logger.org.apache.zookeeper=WARN
# readiness is read from this logger's "Kafka Server started" line
log4j.logger.kafka.server.KafkaRaftServer=INFO
EOF
}

# The SSL and SASL_SSL listeners of --secure (PEM key and trust stores, see the header).
write_secure_properties() {
  local file=$1 secure=$2 plain_users="" name password
  while read -r name password; do
    [[ -n "${name:-}" ]] || continue
    plain_users+=" user_$name=\"$password\""
  done <"$secure/users"
  cat >>"$file" <<EOF

# --secure: TLS and SASL listeners
ssl.keystore.type=PEM
ssl.keystore.location=$secure/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$secure/ca.pem
listener.name.ssl.ssl.client.auth=required
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required$plain_users;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF
}

# The --add-scram arguments of the storage format for the users of --secure, one a line.
scram_format_args() {
  local secure=$1 name password mechanism
  while read -r name password; do
    [[ -n "${name:-}" ]] || continue
    for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
      printf '%s\n' "--add-scram" "$mechanism=[name=$name,password=$password]"
    done
  done <"$secure/users"
}

write_server_properties() {
  local file=$1 id=$2 bport=$3 cport=$4 voters=$5 n=$6 datadir=$7 sport=${8:-} qport=${9:-}
  local txn_min_isr=1; (( n >= 3 )) && txn_min_isr=2
  local listeners="PLAINTEXT://127.0.0.1:$bport" map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [[ -n "$sport" ]]; then
    listeners+=",SSL://127.0.0.1:$sport,SASL_SSL://127.0.0.1:$qport"
    map+=",SSL:SSL,SASL_SSL:SASL_SSL"
  fi
  cat >"$file" <<EOF
# generated by scripts/kafka-local.sh
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=$listeners,CONTROLLER://127.0.0.1:$cport
advertised.listeners=$listeners
listener.security.protocol.map=$map
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$datadir

num.partitions=1
default.replication.factor=$n
min.insync.replicas=1
offsets.topic.replication.factor=$n
transaction.state.log.replication.factor=$n
transaction.state.log.min.isr=$txn_min_isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true

# lean on a small machine
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.cleaner.threads=1
EOF
}

# Starts the cluster in DIR. Returns 0 when every node serves, 2 when a port was
# taken in the meantime (caller retries with new ports), 1 on other failures.
launch_cluster() {
  local dir=$1 n=$2 timeout=$3 secure=${4:-}
  local per=2; [[ -n "$secure" ]] && per=4
  local -a ports bports cports sports qports
  read -r -a ports <<<"$(pick_ports $((per * n)))"
  (( ${#ports[@]} == per * n )) || die "could not pick $((per * n)) free ports"
  local i voters="" bootstrap=""
  SSL_BOOTSTRAP="" SASL_SSL_BOOTSTRAP=""
  for ((i = 1; i <= n; i++)); do
    bports[i]=${ports[per * i - per]}
    cports[i]=${ports[per * i - per + 1]}
    voters+="${voters:+,}$i@127.0.0.1:${cports[i]}"
    bootstrap+="${bootstrap:+,}127.0.0.1:${bports[i]}"
    if [[ -n "$secure" ]]; then
      sports[i]=${ports[per * i - per + 2]}
      qports[i]=${ports[per * i - per + 3]}
      SSL_BOOTSTRAP+="${SSL_BOOTSTRAP:+,}127.0.0.1:${sports[i]}"
      SASL_SSL_BOOTSTRAP+="${SASL_SSL_BOOTSTRAP:+,}127.0.0.1:${qports[i]}"
    fi
  done

  local cid; cid=$(new_cluster_id)
  rm -rf -- "$dir"/node* "${dir:?}/$PIDS_FILE" "$dir/bootstrap"
  write_log4j "$dir/log4j.properties"
  for ((i = 1; i <= n; i++)); do
    mkdir -p "$dir/node$i/data" "$dir/node$i/logs"
    write_server_properties "$dir/node$i/server.properties" "$i" "${bports[i]}" "${cports[i]}" "$voters" "$n" "$dir/node$i/data" "${sports[i]:-}" "${qports[i]:-}"
    [[ -z "$secure" ]] || write_secure_properties "$dir/node$i/server.properties" "$secure"
  done
  local -a scram=()
  [[ -z "$secure" ]] || mapfile -t scram < <(scram_format_args "$secure")

  # Format the storage dirs (one JVM per node, in parallel).
  log "formatting $n storage dir(s) (cluster id $cid) ..."
  local -a fpids=()
  for ((i = 1; i <= n; i++)); do
    # shellcheck disable=SC2086
    "$JAVA" $TOOL_JVM_OPTS -Dlog4j.configuration="file:$dir/log4j.properties" -cp "$LIBS/*" \
      kafka.tools.StorageTool format -t "$cid" -c "$dir/node$i/server.properties" ${scram[@]+"${scram[@]}"} \
      </dev/null >"$dir/node$i/format.log" 2>&1 &
    fpids[i]=$!
  done
  local failed=0
  for ((i = 1; i <= n; i++)); do
    if ! wait "${fpids[i]}"; then
      log "formatting node$i failed:"; tail -n 30 "$dir/node$i/format.log" >&2 || true
      failed=1
    fi
  done
  (( failed == 0 )) || return 1

  # Launch the nodes. stdin/stdout/stderr all redirected so that callers using
  # $(kafka-local.sh start) are not kept waiting on our stdout.
  local jvm_opts=${WEIR_KAFKA_JVM_OPTS:-$DEFAULT_JVM_OPTS}
  : >"$dir/$PIDS_FILE"
  for ((i = 1; i <= n; i++)); do
    # shellcheck disable=SC2086
    nohup "$JAVA" $jvm_opts \
      -Dlog4j.configuration="file:$dir/log4j.properties" \
      -Dkafka.logs.dir="$dir/node$i/logs" \
      -cp "$LIBS/*" kafka.Kafka "$dir/node$i/server.properties" \
      </dev/null >"$dir/node$i/kafka.log" 2>&1 &
    echo "node$i $!" >>"$dir/$PIDS_FILE"
  done
  log "started $n node(s) (pids: $(cut -d' ' -f2 "$dir/$PIDS_FILE" | tr '\n' ' ')); waiting up to ${timeout}s ..."

  local deadline=$((SECONDS + timeout)) name pid ready node
  while :; do
    ready=0
    while read -r name pid; do
      node=${name#node}
      if ! alive "$pid"; then
        if grep -qE 'BindException|Address already in use' "$dir/$name/kafka.log"; then
          log "$name could not bind its port (taken since it was picked)"
          return 2
        fi
        log "$name (pid $pid) exited during startup; last lines of $dir/$name/kafka.log:"
        tail -n 40 "$dir/$name/kafka.log" >&2 || true
        return 1
      fi
      if grep -q 'Kafka Server started' "$dir/$name/kafka.log" && tcp_open "${bports[node]}"; then
        ready=$((ready + 1))
      fi
    done <"$dir/$PIDS_FILE"
    (( ready == n )) && break
    if (( SECONDS >= deadline )); then
      log "timed out after ${timeout}s waiting for the broker(s) to serve ($ready of $n ready)"
      for ((i = 1; i <= n; i++)); do
        log "---- last lines of $dir/node$i/kafka.log ----"
        tail -n 30 "$dir/node$i/kafka.log" >&2 || true
      done
      return 1
    fi
    sleep 0.5
  done
  printf '%s\n' "$bootstrap" >"$dir/bootstrap"
  BOOTSTRAP=$bootstrap
}

cmd_start() {
  local n=1 dir="" owner="" secure=""
  while (( $# )); do
    case "$1" in
      --brokers) [[ $# -ge 2 ]] || die "--brokers needs a value (1 or 3)"; n=$2; shift 2 ;;
      --brokers=*) n=${1#*=}; shift ;;
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; dir=$2; shift 2 ;;
      --dir=*) dir=${1#*=}; shift ;;
      --owner-pid) [[ $# -ge 2 ]] || die "--owner-pid needs a value"; owner=$2; shift 2 ;;
      --owner-pid=*) owner=${1#*=}; shift ;;
      --secure) [[ $# -ge 2 ]] || die "--secure needs a dir (with ca.pem, broker.pem and users)"; secure=$2; shift 2 ;;
      --secure=*) secure=${1#*=}; shift ;;
      -h|--help) usage; exit 0 ;;
      *) usage; die "unknown option for start: $1" ;;
    esac
  done
  [[ "$n" == 1 || "$n" == 3 ]] || die "--brokers must be 1 or 3 (got '$n')"
  if [[ -n "$owner" ]]; then
    if ! [[ "$owner" =~ ^[0-9]+$ ]] || ! alive "$owner"; then
      die "--owner-pid $owner is not a running process"
    fi
  fi
  if [[ -n "$secure" ]]; then
    secure=$(canon_dir "$secure") || die "--secure dir does not exist"
    local f
    for f in ca.pem broker.pem users; do
      [[ -f "$secure/$f" ]] || die "--secure $secure has no $f (it needs ca.pem, broker.pem and users: see the header of this script)"
    done
  fi
  local timeout=${WEIR_KAFKA_START_TIMEOUT:-60}
  [[ "$timeout" =~ ^[0-9]+$ ]] || die "WEIR_KAFKA_START_TIMEOUT must be a whole number of seconds (got '$timeout')"

  find_java
  ensure_jars

  if [[ -n "$dir" ]]; then
    mkdir -p -- "$dir" || die "cannot create --dir $dir"
    dir=$(canon_dir "$dir") || die "cannot enter --dir"
    if [[ -f "$dir/$MARKER" ]]; then
      local name pid
      if [[ -f "$dir/$PIDS_FILE" ]]; then
        while read -r name pid; do
          [[ -n "${name:-}" ]] || continue
          if owned "$dir" "$name" "$pid"; then
            die "a cluster is already running from $dir ($name, pid $pid); run: scripts/kafka-local.sh stop --dir $dir"
          fi
        done <"$dir/$PIDS_FILE"
      fi
    elif [[ -n "$(ls -A -- "$dir")" ]]; then
      die "--dir $dir is not empty and was not made by this script; give an empty or new dir"
    fi
  else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/weir-kafka-XXXXXX") || die "cannot create a run dir under ${TMPDIR:-/tmp}"
    dir=$(canon_dir "$dir")
  fi
  : >"$dir/$MARKER"

  # Until the cluster is up, any exit (error, Ctrl-C, kill) stops what we started.
  START_DIR=$dir
  STARTED_OK=0
  trap 'if [[ ${STARTED_OK:-1} == 0 ]]; then stop_recorded "$START_DIR" 5 || true; log "start failed; logs kept in $START_DIR (remove with: scripts/kafka-local.sh stop --dir $START_DIR)"; fi' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  local attempt rc
  for attempt in 1 2 3; do
    rc=0
    launch_cluster "$dir" "$n" "$timeout" "$secure" || rc=$?
    (( rc == 0 )) && break
    stop_recorded "$dir" 5 || true
    (( rc == 2 && attempt < 3 )) || exit 1
    log "retrying with new ports (attempt $((attempt + 1)) of 3)"
  done

  if [[ -n "$owner" ]]; then
    nohup bash "$SELF" _watch --dir "$dir" --owner-pid "$owner" </dev/null >>"$dir/watchdog.log" 2>&1 &
    echo "watchdog $!" >>"$dir/$PIDS_FILE"
  fi

  STARTED_OK=1
  trap - EXIT INT TERM
  log "Kafka $KAFKA_VERSION up: $n node(s) at $BOOTSTRAP; logs in $dir/node*/kafka.log"
  printf 'bootstrap=%s\n' "$BOOTSTRAP"
  printf 'dir=%s\n' "$dir"
  if [[ -n "$secure" ]]; then
    printf 'ssl=%s\n' "$SSL_BOOTSTRAP"
    printf 'sasl_ssl=%s\n' "$SASL_SSL_BOOTSTRAP"
  fi
}

# ---------------------------------------------------------------- stop / watch

cmd_stop() {
  local dir="" timeout=${WEIR_KAFKA_STOP_TIMEOUT:-15}
  while (( $# )); do
    case "$1" in
      --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; dir=$2; shift 2 ;;
      --dir=*) dir=${1#*=}; shift ;;
      -h|--help) usage; exit 0 ;;
      *) usage; die "unknown option for stop: $1" ;;
    esac
  done
  [[ -n "$dir" ]] || die "stop needs --dir DIR (the dir= line that start printed)"
  [[ "$timeout" =~ ^[0-9]+$ ]] || die "WEIR_KAFKA_STOP_TIMEOUT must be a whole number of seconds (got '$timeout')"
  if [[ ! -d "$dir" ]]; then
    log "$dir does not exist; nothing to stop"
    return 0
  fi
  dir=$(canon_dir "$dir") || die "cannot enter $dir"
  [[ -f "$dir/$MARKER" ]] || die "$dir is not a run dir made by scripts/kafka-local.sh (no $MARKER file); refusing to stop anything or remove it"
  stop_recorded "$dir" "$timeout" || die "could not stop every process recorded in $dir/$PIDS_FILE; left $dir in place"
  rm -rf -- "$dir"
  log "stopped; removed $dir"
}

# Internal: stop the cluster in --dir once --owner-pid has exited.
cmd_watch() {
  local dir="" owner=""
  while (( $# )); do
    case "$1" in
      --dir) dir=$2; shift 2 ;;
      --owner-pid) owner=$2; shift 2 ;;
      *) die "bad _watch option: $1" ;;
    esac
  done
  while alive "$owner" && [[ -d "$dir" ]]; do sleep 2; done
  [[ -d "$dir" ]] || exit 0
  log "owner pid $owner exited; stopping the cluster in $dir"
  exec bash "$SELF" stop --dir "$dir"
}

# ---------------------------------------------------------------- main

main() {
  local cmd=${1:-}
  (( $# )) && shift
  case "$cmd" in
    start) cmd_start "$@" ;;
    stop)  cmd_stop "$@" ;;
    fetch)
      (( $# == 0 )) || die "fetch takes no options"
      find_java
      ensure_jars
      log "Kafka $KAFKA_VERSION jars ready in $LIBS"
      ;;
    _watch) cmd_watch "$@" ;;
    -h|--help|help) usage ;;
    "") usage; exit 2 ;;
    *) usage; die "unknown command: $cmd" ;;
  esac
}

main "$@"
