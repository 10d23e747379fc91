#!/usr/bin/env bash
# Regenerates the PNGs in this folder from the real program: it runs cxinbox
# in a detached tmux at a fixed size on a fresh demo database, drives it with
# keys, captures the pane with its colours and renders it with
# charmbracelet/freeze (go install github.com/charmbracelet/freeze@latest).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/screenshots
bin=$(mktemp -d)/cxinbox
go build -o "$bin" .
db=$(mktemp -d)/shots.db
freeze=${FREEZE:-$(go env GOPATH)/bin/freeze}
session=cxinbox-shots
tmux kill-session -t $session 2>/dev/null || true
tmux new-session -d -s $session -x 160 -y 42 "CXINBOX_AGENT=ann $bin --db $db --no-feed"
trap 'tmux kill-session -t $session 2>/dev/null || true' EXIT
sleep 5 # demo data load and first page

keys() { for k in "$@"; do tmux send-keys -t $session "$k"; sleep 0.4; done; sleep 0.8; }
shot() {
	tmux capture-pane -t $session -e -p | "$freeze" --language ansi --window=false --padding 10 --font.size 12 \
		--background "#1e1e2e" -o "$out/$1.png" >/dev/null
	echo "wrote screenshots/$1.png"
}

shot inbox
# The contact pane of a web-chat visitor with potential duplicates (demo
# data is seed 1, so the same people are there every time).
keys / K a r i a n n e Enter Tab Tab
shot contact-pane
keys t v
shot tag-picker
keys Escape d
shot contact-details
# The Duplicates screen, then the side-by-side comparison and the merge form.
keys Escape Escape =
shot duplicates
keys Enter
shot compare
keys m
shot merge-form
