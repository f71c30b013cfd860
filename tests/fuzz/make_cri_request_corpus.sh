#!/bin/sh
# Regenerates tests/fuzz/corpus/cri_request/: one valid request per CRI RPC,
# serialized with protoc from the text below and prefixed with the selector
# byte of cri_request_fuzz.cc (the order of the X-macro lists in
# cri/api/rpcs.h, then GetContainerEvents). Ids are one hex digit: the
# service accepts unique id prefixes, so mutated seeds reach the sandboxes
# the run created. Needs protoc (protobuf-compiler).
#   usage: tests/fuzz/make_cri_request_corpus.sh   (from the repository root)
set -eu
out=tests/fuzz/corpus/cri_request
mkdir -p "$out"
rm -f "$out"/[0-9][0-9]-*
n=0
seed_at() {  # seed_at SELECTOR NAME REQUEST_TYPE TEXT
  file=$(printf '%s/%02d-%s' "$out" "$1" "$2")
  printf "\\$(printf '%03o' "$1")" > "$file"
  printf '%s\n' "$4" | protoc -Icri/api --encode="runtime.v1.$3" cri/api/api.proto >> "$file"
}
seed() {  # seed RPC REQUEST_TYPE TEXT: the next selector
  seed_at "$n" "$@"
  n=$((n + 1))
}
pod='metadata { name: "fuzz" uid: "u1" namespace: "default" attempt: 0 }
  hostname: "fuzz" log_directory: ""
  dns_config { servers: "10.96.0.10" searches: "svc.cluster.local" options: "ndots:5" }
  port_mappings { protocol: TCP container_port: 80 host_port: 8080 }
  labels { key: "app" value: "fuzz" } annotations { key: "a" value: "b" }
  linux { cgroup_parent: "" security_context { namespace_options { network: NODE pid: POD ipc: POD } } }'
ctr='metadata { name: "c" attempt: 1 } image { image: "busybox:latest" } command: "/bin/sh" args: "-c" args: "true"
  working_dir: "/" envs { key: "A" value: "1" } mounts { container_path: "/data" host_path: "" readonly: true }
  log_path: "c.log" stdin: false tty: false
  linux { resources { cpu_shares: 2 memory_limit_in_bytes: 67108864 } security_context { privileged: false } }'

# RuntimeService, unary.
seed Version VersionRequest 'version: "v1"'
seed RunPodSandbox RunPodSandboxRequest "config { $pod } runtime_handler: \"\""
seed StopPodSandbox StopPodSandboxRequest 'pod_sandbox_id: "a"'
seed RemovePodSandbox RemovePodSandboxRequest 'pod_sandbox_id: "b"'
seed PodSandboxStatus PodSandboxStatusRequest 'pod_sandbox_id: "c" verbose: true'
seed ListPodSandbox ListPodSandboxRequest 'filter { state { state: SANDBOX_READY } label_selector { key: "app" value: "fuzz" } }'
seed CreateContainer CreateContainerRequest "pod_sandbox_id: \"d\" config { $ctr } sandbox_config { $pod }"
seed StartContainer StartContainerRequest 'container_id: "e"'
seed StopContainer StopContainerRequest 'container_id: "f" timeout: 0'
seed RemoveContainer RemoveContainerRequest 'container_id: "0"'
seed ListContainers ListContainersRequest 'filter { pod_sandbox_id: "1" state { state: CONTAINER_RUNNING } }'
seed ContainerStatus ContainerStatusRequest 'container_id: "2" verbose: true'
seed UpdateContainerResources UpdateContainerResourcesRequest 'container_id: "3" linux { cpu_quota: 50000 cpu_period: 100000 memory_limit_in_bytes: 1048576 }'
seed ReopenContainerLog ReopenContainerLogRequest 'container_id: "4"'
seed ExecSync ExecSyncRequest 'container_id: "5" cmd: "ls" timeout: 1'
seed Exec ExecRequest 'container_id: "6" cmd: "sh" tty: true stdin: true stdout: true'
seed Attach AttachRequest 'container_id: "7" stdin: true stdout: true stderr: true'
seed PortForward PortForwardRequest 'pod_sandbox_id: "8" port: 80'
seed ContainerStats ContainerStatsRequest 'container_id: "9"'
seed ListContainerStats ListContainerStatsRequest 'filter { pod_sandbox_id: "a" }'
seed PodSandboxStats PodSandboxStatsRequest 'pod_sandbox_id: "b"'
seed ListPodSandboxStats ListPodSandboxStatsRequest 'filter { id: "c" }'
seed UpdateRuntimeConfig UpdateRuntimeConfigRequest 'runtime_config { network_config { pod_cidr: "10.88.0.0/16" } }'
seed Status StatusRequest 'verbose: true'
seed CheckpointContainer CheckpointContainerRequest 'container_id: "d" location: "/tmp/x.tar" timeout: 1'
seed ListMetricDescriptors ListMetricDescriptorsRequest ''
seed ListPodSandboxMetrics ListPodSandboxMetricsRequest ''
seed RuntimeConfig RuntimeConfigRequest ''
seed UpdatePodSandboxResources UpdatePodSandboxResourcesRequest 'pod_sandbox_id: "e"'
# RuntimeService, streaming.
seed StreamPodSandboxes StreamPodSandboxesRequest ''
seed StreamContainers StreamContainersRequest ''
seed StreamContainerStats StreamContainerStatsRequest ''
seed StreamPodSandboxStats StreamPodSandboxStatsRequest ''
seed StreamPodSandboxMetrics StreamPodSandboxMetricsRequest ''
# ImageService. Pulls go to a closed loopback proxy (see the harness).
seed ListImages ListImagesRequest 'filter { image { image: "busybox" } }'
seed ImageStatus ImageStatusRequest 'image { image: "busybox:latest" } verbose: true'
seed PullImage PullImageRequest 'image { image: "127.0.0.1:1/fuzz/app:v1" } auth { username: "u" password: "p" }'
seed RemoveImage RemoveImageRequest 'image { image: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }'
seed ImageFsInfo ImageFsInfoRequest ''
seed StreamImages StreamImagesRequest ''
seed GetContainerEvents GetEventsRequest ''
# More than one seed for the calls that change state.
seed_at 1 RunPodSandbox-pod-network RunPodSandboxRequest \
  'config { metadata { name: "net" uid: "u2" namespace: "ns" } linux { security_context { namespace_options { network: POD } } } }'
seed_at 1 RunPodSandbox-unknown-handler RunPodSandboxRequest "config { $pod } runtime_handler: \"nope\""
seed_at 6 CreateContainer-no-image CreateContainerRequest 'pod_sandbox_id: "a" config { metadata { name: "x" } }'
seed_at 36 PullImage-bad-reference PullImageRequest 'image { image: "UPPER//x:@" }'
echo "wrote $n seeds to $out"
