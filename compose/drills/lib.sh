# Shared by the drill scripts (sourced, not run): which compose command to
# use, which compose file and project, a service's container, waiting for
# health, and printing each step.
#
# Every drill takes the same options:
#   -s, --system NAME     the system's compose file, compose/NAME.yml (queue, raft, ...)
#   -f, --file FILE       compose file (default: $COMPOSE_FILE, else compose/queue.yml)
#   -p, --project NAME    compose project (default: $COMPOSE_PROJECT_NAME,
#                         else dsc-SYSTEM for compose/SYSTEM.yml, as in compose/README.md)
# and DSC_COMPOSE="docker compose" or "docker-compose" forces a compose command.

drills_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$drills_dir/../.." && pwd)"
drill_name="$(basename "$0" .sh)"
compose_file="${COMPOSE_FILE:-$repo_root/compose/queue.yml}"
compose_project="${COMPOSE_PROJECT_NAME:-}"
compose_cmd=()

step() { printf '[%s] %s\n' "$drill_name" "$*"; }
die() {
  printf '[%s] error: %s\n' "$drill_name" "$*" >&2
  exit 1
}

# take_common_flag ARGS...: when ARGS starts with -s, -f or -p, records its
# value, sets `taken` to the number of arguments used and succeeds; fails
# otherwise. Use: `if take_common_flag "$@"; then shift "$taken"; ...`.
taken=0
take_common_flag() {
  case "${1:-}" in
    -s | --system)
      [[ $# -ge 2 ]] || die "$1 needs a system name (queue, raft, ...)"
      compose_file="$repo_root/compose/$2.yml"
      [[ -f "$compose_file" ]] || die "no compose file for system '$2' ($compose_file)"
      taken=2
      ;;
    -f | --file)
      [[ $# -ge 2 ]] || die "$1 needs a compose file"
      compose_file="$2"
      taken=2
      ;;
    -p | --project)
      [[ $# -ge 2 ]] || die "$1 needs a project name"
      compose_project="$2"
      taken=2
      ;;
    *) return 1 ;;
  esac
}

# Picks `docker compose` (the plugin) or `docker-compose` (Debian's 1.29);
# both read the same files. Sets compose_cmd and the defaults that depend
# on the compose file.
setup_compose() {
  command -v docker >/dev/null || die "docker is not installed (see compose/README.md)"
  if [[ -n "${DSC_COMPOSE:-}" ]]; then
    read -r -a compose_cmd <<<"$DSC_COMPOSE"
  elif docker compose version >/dev/null 2>&1; then
    compose_cmd=(docker compose)
  elif command -v docker-compose >/dev/null; then
    compose_cmd=(docker-compose)
  else
    die "neither 'docker compose' nor 'docker-compose' is available"
  fi
  [[ -f "$compose_file" ]] || die "no compose file $compose_file"
  if [[ -z "$compose_project" ]]; then
    compose_project="dsc-$(basename "$compose_file" .yml)"
  fi
}

# compose ARGS...: the compose command on our file and project.
compose() {
  "${compose_cmd[@]}" -f "$compose_file" -p "$compose_project" "$@"
}

# container_of SERVICE: prints the id of the service's container (running
# or not); fails when the service has none.
container_of() {
  local id
  id="$(compose ps -a -q "$1" 2>/dev/null | head -n 1)"
  [[ -n "$id" ]] || die "service '$1' has no container in project $compose_project (is it up?)"
  echo "$id"
}

# container_name ID: the container's name, for messages.
container_name() { docker inspect -f '{{.Name}}' "$1" | sed 's|^/||'; }

# health_of ID: "healthy", "starting", "unhealthy", or, for a container
# without a health check, its state ("running", "exited", ...).
health_of() {
  docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1"
}

# wait_healthy ID SECONDS: waits until the container is healthy (or
# running, when it has no health check). Fails after SECONDS.
wait_healthy() {
  local id="$1" limit="$2" state start=$SECONDS
  while :; do
    state="$(health_of "$id")"
    [[ "$state" == healthy || "$state" == running ]] && return 0
    if [[ "$state" == exited || "$state" == dead ]]; then
      step "the container stopped again; its last log lines:"
      docker logs --tail 10 "$id" 2>&1 | sed 's/^/    /'
      return 1
    fi
    (( SECONDS - start >= limit )) && return 1
    sleep 0.5
  done
}

# networks_of ID: the networks the container is attached to, one a line.
networks_of() {
  docker inspect -f '{{range $name, $_ := .NetworkSettings.Networks}}{{println $name}}{{end}}' "$1" |
    sed '/^$/d'
}

# project_networks: the networks compose created for our project.
project_networks() {
  docker network ls -q --filter "label=com.docker.compose.project=$compose_project" |
    xargs -r docker network inspect -f '{{.Name}}'
}
