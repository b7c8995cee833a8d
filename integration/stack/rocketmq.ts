// Real Apache RocketMQ 5.x from Maven Central jars. Two layouts:
//   cluster (default)  name server + broker JVM + proxy JVM (`ProxyStartup -pm cluster`)
//   local              name server + proxy JVM with the broker in-process (`-pm local`)
// Choose with opts.mode or MQMESH_ROCKETMQ_PROXY_MODE=local|cluster. Everything
// lives in this run's folder: configs, store, and RocketMQ's own logs (logback
// writes to ${user.home}/logs/rocketmqlogs, so user.home is the run folder).
//
// Listening sockets of one stack:
//   namesrv        127.0.0.1:<namesrv>        remoting, routes for 4.x-protocol clients
//   proxy remoting *:<proxyRemoting>          remoting (and gRPC, negotiated) to the proxy
//   proxy gRPC     *:<proxyGrpc>              apache.rocketmq.v2.MessagingService
//   broker         127.0.0.1:<broker>         the broker's remoting port
//   broker fast    127.0.0.1:<broker - 2>     the broker's "VIP channel" (always listenPort - 2)
//   broker HA      *:<brokerHa>               master/slave replication
// RocketMQ 5.3.3 has no bind-address setting for the proxy's two servers nor
// for the HA server: those bind the wildcard address. Clients here only ever
// use 127.0.0.1.
//
// What route answers name (RocketMQ 5.3.3 proxy source):
// - gRPC QueryRoute / QueryAssignment, cluster mode (ClusterTopicRouteService,
//   RouteActivity.convertToAddressList): the host the client put in the
//   request's endpoints, and with useEndpointPortFromRequest=true (set below)
//   its port too. A client configured with a sidecar's address is sent back to
//   that sidecar, so SendMessage/ReceiveMessage/AckMessage stay in it.
// - gRPC, local mode (LocalTopicRouteService, apache/rocketmq#9630):
//   <brokerIP1>:<proxy gRPC port> whatever endpoint was used, so clients
//   leave the sidecar after the first route query.
// - Remoting GET_ROUTEINFO_BY_TOPIC on the proxy's remoting port
//   (GetTopicRouteActivity): cluster mode <remotingAccessAddr>:<remotingListenPort>,
//   i.e. the proxy's own remoting port (the setting is a host; the port is the
//   one the proxy listens on), so remoting clients that found the proxy through
//   a sidecar send and pull on the proxy directly; local mode <brokerIP1>:<gRPC
//   port>, which remoting clients cannot use at all.
// - The name server names the broker's own port (both modes).
//
// By hand:  npx tsx integration/stack/rocketmq.ts [--local] [--stop]   # prints addresses; Ctrl-C stops
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { progress, runPath } from "./cache.ts";
import { artifact, javaBin, resolveClasspath, type Classpath } from "./maven.ts";
import { freePort, isListening, LOOPBACK, releasePort } from "./ports.ts";
import { runCommand, spawnManaged, waitUntil, type ManagedProcess, type RunOptions, type RunResult } from "./process.ts";
import { clusterInfo, createTopic, topicRoute } from "./rocketmq-remoting.ts";

/** Newest 5.3.x on Maven Central; runs on Java 17 without --add-opens. */
export const ROCKETMQ_VERSION = process.env.MQMESH_ROCKETMQ_VERSION || "5.3.3";

export type RocketMQMode = "cluster" | "local";

/** The default layout: MQMESH_ROCKETMQ_PROXY_MODE, else cluster. */
export function defaultRocketMQMode(): RocketMQMode {
  const m = process.env.MQMESH_ROCKETMQ_PROXY_MODE;
  if (m === undefined || m === "") return "cluster";
  if (m !== "cluster" && m !== "local") throw new Error(`MQMESH_ROCKETMQ_PROXY_MODE must be "cluster" or "local", not "${m}"`);
  return m;
}

export interface RocketMQOptions {
  /** Name of the run sub-folder and log files, default "rocketmq". */
  name?: string;
  /** Proxy mode, default defaultRocketMQMode(): "cluster" (separate broker JVM) or "local" (broker inside the proxy). */
  mode?: RocketMQMode;
  clusterName?: string;
  brokerName?: string;
  /** JVM heaps, defaults namesrv 256m, broker 512m (cluster mode), proxy 512m (with the broker inside in local mode). */
  namesrvHeap?: string;
  brokerHeap?: string;
  proxyHeap?: string;
  /** Extra or overriding broker.conf entries. */
  brokerProps?: Record<string, string | number | boolean>;
  /** Extra or overriding rmq-proxy.json entries. */
  proxyConfig?: Record<string, unknown>;
  /** Topics created (4 queues each) before startRocketMQ returns. Others are auto-created on first send. */
  topics?: string[];
  startTimeoutMs?: number;
}

export interface RocketMQ {
  version: string;
  mode: RocketMQMode;
  clusterName: string;
  brokerName: string;
  /** "127.0.0.1:<port>" of the name server. */
  namesrv: string;
  /** "127.0.0.1:<port>" of the proxy's remoting server. */
  proxyRemoting: string;
  /** "127.0.0.1:<port>" of the proxy's gRPC server (endpoint for rocketmq-client-nodejs). */
  proxyGrpc: string;
  /** "127.0.0.1:<port>" of the broker's remoting port (what the name server advertises). */
  brokerAddr: string;
  ports: { namesrv: number; proxyRemoting: number; proxyGrpc: number; broker: number; brokerFast: number; brokerHa: number };
  /** ROCKETMQ_HOME / user.home of both JVMs: configs, store/, logs/rocketmqlogs/. */
  home: string;
  logDir: string;
  classpath: Classpath;
  /** broker is present in cluster mode only (in local mode it runs inside the proxy). */
  procs: { namesrv: ManagedProcess; proxy: ManagedProcess; broker?: ManagedProcess };
  /** Seconds from call to ready (including a first download). */
  startSeconds: number;
  /** Creates (or updates) a topic on the broker. */
  createTopic(topic: string, queues?: number): Promise<void>;
  stop(): Promise<void>;
}

let cpPromise: Promise<Classpath> | undefined;

/** Name server, broker, proxy, tools and client jars (downloaded on first use). */
export function rocketmqClasspath(): Promise<Classpath> {
  cpPromise ??= resolveClasspath(
    `rocketmq-${ROCKETMQ_VERSION}`,
    ["rocketmq-namesrv", "rocketmq-broker", "rocketmq-proxy", "rocketmq-tools"].map((a) => artifact(`org.apache.rocketmq:${a}:${ROCKETMQ_VERSION}`)),
  );
  cpPromise.catch(() => (cpPromise = undefined));
  return cpPromise;
}

function props(p: Record<string, string | number | boolean>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n") + "\n";
}

/** JVM options shared by the RocketMQ processes. */
function jvmArgs(heap: string, home: string): string[] {
  return [
    `-Xmx${heap}`,
    "-Xms64m",
    "-XX:+UseSerialGC",
    "-XX:MaxDirectMemorySize=256m",
    "-XX:-OmitStackTraceInFastThrow",
    "-Djava.net.preferIPv4Stack=true",
    "-Djava.awt.headless=true",
    `-Duser.home=${home}`,
    `-Drocketmq.home.dir=${home}`,
  ];
}

/** Starts a name server, a broker and a proxy (cluster mode; or the proxy with the broker inside, local mode) and waits until all serve. */
export async function startRocketMQ(opts: RocketMQOptions = {}): Promise<RocketMQ> {
  const started = Date.now();
  const mode = opts.mode ?? defaultRocketMQMode();
  const name = opts.name ?? "rocketmq";
  const clusterName = opts.clusterName ?? "DefaultCluster";
  const brokerName = opts.brokerName ?? "broker-a";
  const classpath = await rocketmqClasspath();
  const home = runPath(name);
  const logDir = join(home, "logs", "rocketmqlogs");
  const store = runPath(name, "store");

  const ports = {
    namesrv: await freePort(),
    proxyRemoting: await freePort(),
    proxyGrpc: await freePort(),
    // The broker also binds its listen port − 2 (its "fast" channel): reserved with it.
    broker: await freePort(LOOPBACK, { alsoFree: [-2] }),
    brokerFast: 0,
    brokerHa: await freePort(),
  };
  ports.brokerFast = ports.broker - 2;
  const namesrv = `${LOOPBACK}:${ports.namesrv}`;
  const brokerAddr = `${LOOPBACK}:${ports.broker}`;

  const namesrvConf = join(home, "namesrv.conf");
  writeFileSync(namesrvConf, props({ listenPort: ports.namesrv, bindAddress: LOOPBACK }));
  const brokerConf = join(home, "broker.conf");
  writeFileSync(
    brokerConf,
    props({
      brokerClusterName: clusterName,
      brokerName,
      brokerId: 0,
      brokerRole: "ASYNC_MASTER",
      flushDiskType: "ASYNC_FLUSH",
      brokerIP1: LOOPBACK,
      bindAddress: LOOPBACK,
      listenPort: ports.broker,
      haListenPort: ports.brokerHa,
      namesrvAddr: namesrv,
      storePathRootDir: store,
      storePathCommitLog: join(store, "commitlog"),
      // 64 MiB commit log files instead of 1 GiB; sparse, but smaller is kinder to small disks.
      mappedFileSizeCommitLog: 64 * 1024 * 1024,
      autoCreateTopicEnable: true,
      autoCreateSubscriptionGroup: true,
      deleteWhen: "04",
      fileReservedTime: 1,
      ...opts.brokerProps,
    }),
  );
  const proxyConf = join(home, "rmq-proxy.json");
  writeFileSync(
    proxyConf,
    JSON.stringify(
      {
        rocketMQClusterName: clusterName,
        proxyMode: mode,
        namesrvAddr: namesrv,
        remotingListenPort: ports.proxyRemoting,
        grpcServerPort: ports.proxyGrpc,
        // Defaults to the first non-loopback address of the machine; our clients use loopback only.
        localServeAddr: LOOPBACK,
        remotingAccessAddr: LOOPBACK,
        // gRPC routes name the host:port the client connected to (cluster mode), not <host>:<grpcServerPort>.
        useEndpointPortFromRequest: true,
        ...opts.proxyConfig,
      },
      null,
      2,
    ),
  );

  const env = { ...process.env, ROCKETMQ_HOME: home, RMQ_PROXY_HOME: home };
  const procs: ManagedProcess[] = [];
  const allPorts = () => [ports.namesrv, ports.proxyRemoting, ports.proxyGrpc, ports.broker, ports.brokerHa];
  const stop = async () => {
    const t = Date.now();
    // Both at once: the store is this run's own, so the broker's unregistration
    // from the name server on the way down need not be waited for.
    await Promise.all(procs.map((p) => p.stop(10_000)));
    allPorts().forEach(releasePort);
    if (procs.length) progress(name, `stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  };
  const timeoutMs = opts.startTimeoutMs ?? 180_000;
  try {
    const namesrvProc = spawnManaged({
      name: `${name}-namesrv`,
      command: javaBin(),
      args: [...jvmArgs(opts.namesrvHeap ?? "256m", home), "-cp", classpath.classpath, "org.apache.rocketmq.namesrv.NamesrvStartup", "-c", namesrvConf],
      env,
      cwd: home,
    });
    procs.push(namesrvProc);
    // The broker registers with the name server when it starts (then every 30 s): name server first.
    await waitUntil(async () => (await clusterInfo(namesrv), true), { what: `RocketMQ name server on ${namesrv}`, timeoutMs, intervalMs: 250, proc: namesrvProc });
    const phases: string[] = [];
    let phaseStart = started;
    const phase = (what: string) => {
      phases.push(`${what} ${((Date.now() - phaseStart) / 1000).toFixed(1)} s`);
      phaseStart = Date.now();
    };
    phase("jars+namesrv");

    // Cluster mode: the broker, then the proxy once the broker has registered
    // (at start the proxy creates its system topic DefaultHeartBeatSyncerTopic on
    // the cluster's brokers and exits if there are none). Local mode: the proxy
    // starts the broker itself.
    const brokerRegistered = (watched: ManagedProcess[]) =>
      waitUntil(
        async () => {
          const info = await clusterInfo(namesrv);
          return info.brokers[brokerName]?.["0"] === brokerAddr;
        },
        { what: `broker ${brokerName} registered at ${namesrv} as ${brokerAddr}`, timeoutMs, intervalMs: 250, proc: watched },
      );
    let brokerProc: ManagedProcess | undefined;
    if (mode === "cluster") {
      brokerProc = spawnManaged({
        name: `${name}-broker`,
        command: javaBin(),
        args: [...jvmArgs(opts.brokerHeap ?? "512m", home), "-cp", classpath.classpath, "org.apache.rocketmq.broker.BrokerStartup", "-c", brokerConf],
        env,
        cwd: home,
      });
      procs.push(brokerProc);
      await brokerRegistered([brokerProc, namesrvProc]);
      phase("broker");
    }
    const proxyProc = spawnManaged({
      name: `${name}-proxy`,
      command: javaBin(),
      args: [
        ...jvmArgs(opts.proxyHeap ?? "512m", home),
        "-cp",
        classpath.classpath,
        "org.apache.rocketmq.proxy.ProxyStartup",
        "-pm",
        mode,
        ...(mode === "local" ? ["-bc", brokerConf] : []),
        "-pc",
        proxyConf,
      ],
      env,
      cwd: home,
    });
    procs.push(proxyProc);
    const watched = [proxyProc, ...(brokerProc ? [brokerProc] : []), namesrvProc];
    if (mode === "local") await brokerRegistered(watched);
    // The proxy's servers start after the broker: route queries answered on remoting, gRPC port open.
    await waitUntil(async () => (await topicRoute(`${LOOPBACK}:${ports.proxyRemoting}`, "TBW102")).brokerDatas.length > 0, {
      what: `RocketMQ proxy remoting on ${ports.proxyRemoting}`,
      timeoutMs,
      intervalMs: 500,
      proc: watched,
    });
    await waitUntil(() => isListening(ports.proxyGrpc), { what: `RocketMQ proxy gRPC on ${ports.proxyGrpc}`, timeoutMs, intervalMs: 250, proc: watched });
    phase(mode === "local" ? "proxy+broker" : "proxy");
    for (const t of opts.topics ?? []) await createTopic(brokerAddr, t);
    const startSeconds = (Date.now() - started) / 1000;
    progress(
      name,
      `RocketMQ ${ROCKETMQ_VERSION} (${mode} mode) up in ${startSeconds.toFixed(1)} s (${phases.join(", ")}): namesrv ${namesrv}, proxy remoting ${ports.proxyRemoting}, gRPC ${ports.proxyGrpc}, broker ${brokerAddr}; logs ${logDir}`,
    );
    return {
      version: ROCKETMQ_VERSION,
      mode,
      clusterName,
      brokerName,
      namesrv,
      proxyRemoting: `${LOOPBACK}:${ports.proxyRemoting}`,
      proxyGrpc: `${LOOPBACK}:${ports.proxyGrpc}`,
      brokerAddr,
      ports,
      home,
      logDir,
      classpath,
      procs: { namesrv: namesrvProc, proxy: proxyProc, broker: brokerProc },
      startSeconds,
      createTopic: (topic, queues = 4) => createTopic(brokerAddr, topic, queues),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Runs a RocketMQ admin command (org.apache.rocketmq.tools.command.MQAdminStartup),
 * e.g. rocketmqAdmin(["topicList", "-n", rmq.namesrv]). One JVM per call (~5 s).
 */
export async function rocketmqAdmin(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const classpath = await rocketmqClasspath();
  const home = runPath("rocketmq-tools");
  return runCommand(
    javaBin(),
    [...jvmArgs("256m", home), "-XX:TieredStopAtLevel=1", "-cp", classpath.classpath, "org.apache.rocketmq.tools.command.MQAdminStartup", ...args],
    { name: opts.name ?? `mqadmin-${args[0] ?? ""}`, timeoutMs: 120_000, env: { ...process.env, ROCKETMQ_HOME: home }, ...opts },
  );
}

// By hand: start a stack, print where it listens, stop on Ctrl-C.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rmq = await startRocketMQ({ mode: process.argv.includes("--local") ? "local" : undefined });
  console.log(
    JSON.stringify({ mode: rmq.mode, namesrv: rmq.namesrv, proxyRemoting: rmq.proxyRemoting, proxyGrpc: rmq.proxyGrpc, brokerAddr: rmq.brokerAddr, home: rmq.home, startSeconds: rmq.startSeconds }, null, 2),
  );
  if (process.argv.includes("--stop")) await rmq.stop();
  else process.stdin.resume();
}
