package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"cxinbox/app"
)

type agentsCmd struct {
	Add  agentsAddCmd  `cmd:"" help:"Register an agent (with --admin on an existing agent: make it an admin; with --ssh-key: give it a key for serve --ssh)."`
	List agentsListCmd `cmd:"" help:"List the agents."`
}

type agentsAddCmd struct {
	Name  string `arg:"" help:"Agent name (what --agent gives)."`
	Admin bool   `help:"An admin may change and delete other agents' public views."`

	SSHKey     []string `name:"ssh-key" help:"An SSH public key that logs in as this agent over serve --ssh (\"ssh-ed25519 AAAA... you@host\"); repeatable. An existing agent gets the key added." placeholder:"KEY"`
	SSHKeyFile []string `name:"ssh-key-file" help:"A file of SSH public keys (a .pub file or authorized_keys: one a line, # comments) for this agent; repeatable." placeholder:"PATH" type:"path"`
}

func (c *agentsAddCmd) Run(e *env) error {
	keys, err := c.keys()
	if err != nil {
		return err
	}
	if len(keys) > 0 {
		return c.addKeys(e, keys)
	}
	done := fmt.Sprintf("agent %s registered", c.Name)
	if c.Admin {
		done = fmt.Sprintf("agent %s is an admin", c.Name)
	}
	return change(e, func(a *app.App) error {
		_, err := a.AddAgent(e.ctx, c.Name, c.Admin)
		return err
	}, done)
}

// keys gathers --ssh-key and the lines of every --ssh-key-file.
func (c *agentsAddCmd) keys() ([]string, error) {
	keys := append([]string(nil), c.SSHKey...)
	for _, path := range c.SSHKeyFile {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("--ssh-key-file: %w", err)
		}
		sc := bufio.NewScanner(f)
		found := 0
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			keys = append(keys, line)
			found++
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("--ssh-key-file %s: %w", path, err)
		}
		if found == 0 {
			return nil, fmt.Errorf("--ssh-key-file %s holds no key", path)
		}
	}
	return keys, nil
}

func (c *agentsAddCmd) addKeys(e *env, keys []string) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	created, added, err := a.AddAgentKeys(e.ctx, c.Name, c.Admin, keys)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(c.Name)
	if created {
		fmt.Fprintf(os.Stderr, "agent %s registered\n", name)
	}
	for _, k := range added {
		fmt.Fprintf(os.Stderr, "ssh key %s (%s) added to agent %s\n", k.Fingerprint, k.Type, name)
	}
	if len(added) < len(keys) {
		fmt.Fprintf(os.Stderr, "agent %s already had %d of the keys given: nothing to add for those\n", name, len(keys)-len(added))
	}
	return nil
}

type agentsListCmd struct {
	JSON bool `name:"json" help:"Print a JSON array."`
}

func (c *agentsListCmd) Run(e *env) error {
	a, err := e.open()
	if err != nil {
		return err
	}
	defer a.Close()
	ags, err := a.Agents(e.ctx)
	if err != nil {
		return err
	}
	keys, err := a.AgentKeys(e.ctx)
	if err != nil {
		return err
	}
	byAgent := map[string][]app.AgentKey{}
	for _, k := range keys {
		byAgent[k.Agent] = append(byAgent[k.Agent], k)
	}
	if c.JSON {
		// Each agent with its SSH keys by fingerprint (never the keys).
		type agentJSON struct {
			app.Agent
			SSHKeys []app.AgentKey `json:"ssh_keys"`
		}
		out := make([]agentJSON, len(ags))
		for i, ag := range ags {
			out[i] = agentJSON{Agent: ag, SSHKeys: byAgent[ag.Name]}
			if out[i].SSHKeys == nil {
				out[i].SSHKeys = []app.AgentKey{}
			}
		}
		return writeJSON(os.Stdout, out)
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADMIN\tSINCE\tSSH KEYS")
	for _, ag := range ags {
		admin := ""
		if ag.Admin {
			admin = "admin"
		}
		var fps []string
		for _, k := range byAgent[ag.Name] {
			fps = append(fps, k.Fingerprint)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ag.Name, admin, ag.CreatedAt.Format("2006-01-02 15:04"), strings.Join(fps, " "))
	}
	return tw.Flush()
}
