package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-engine", "mysql"},
		{"-c", "1,zero"},
		{"-c", "0"},
		{"-d", "0s"},
		{"-chunks", "0"},
		{"-per-session", "0"},
		{"-nope"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}

func TestParsesLists(t *testing.T) {
	cs, err := parseInts(" 1, 50 ,200")
	if err != nil || len(cs) != 3 || cs[0] != 1 || cs[1] != 50 || cs[2] != 200 {
		t.Fatalf("%v %v", cs, err)
	}
	engines, err := parseEngines("both")
	if err != nil || strings.Join(engines, ",") != "sqlite,postgres" {
		t.Fatalf("%v %v", engines, err)
	}
}

func TestJSONOutput(t *testing.T) {
	args := []string{"-engine", "sqlite", "-c", "2", "-d", "300ms", "-warmup", "0s", "-chunks", "3", "-json"}
	if u := os.Getenv("CHATPROXY_TEST_POSTGRES_URL"); u != "" {
		args = append(args, "-pg-url", u)
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep struct {
		Runs []struct {
			Target    string `json:"target"`
			Exchanges int    `json:"exchanges"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Runs) != 2 || rep.Runs[1].Target != "sqlite" || rep.Runs[1].Exchanges == 0 {
		t.Fatalf("JSON %v: %s", err, out.String())
	}
}
