#!/usr/bin/env bash
# Run an installed policygen (not the work tree's) on a bundled function and a bundled project, from a
# folder outside the work tree, and compare with the reviewed goldens. Used by .ci/run.
#   usage: smoke_installed.sh PATH/TO/policygen REPO_ROOT SCRATCH_DIR
set -euo pipefail
policygen=$1 root=$2 work=$3
mkdir -p "$work"
cd "$work"
cp -r "$root/examples/orders-service" "$root/examples/sam-orders" .

"$policygen" generate orders-service --region us-east-1 --account 123456789012 \
  --env-file orders-service/deploy.env --no-cache --name orders-service >orders.json
diff -u "$root/examples/orders-service/expected/policy.json" orders.json

# shellcheck disable=SC2046
"$policygen" generate sam-orders --region us-east-1 --account 123456789012 --no-cache --name sam-orders \
  $(cat sam-orders/args) >sam.json
diff -u "$root/examples/sam-orders/expected/policy.json" sam.json
echo "installed policygen reproduces the goldens of orders-service and sam-orders"
