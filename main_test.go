package main

import (
	"maps"
	"testing"
)

func TestQuietUnreadLogs(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"nobody reads the logs", map[string]string{}, map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_PROVIDER": "OFF"}},
		{"TF_LOG set", map[string]string{"TF_LOG": "DEBUG"}, map[string]string{"TF_LOG": "DEBUG"}},
		{"TF_LOG_PROVIDER set", map[string]string{"TF_LOG_PROVIDER": "TRACE"}, map[string]string{"TF_LOG_PROVIDER": "TRACE"}},
		{"acceptance test log file", map[string]string{"TF_ACC_LOG_PATH": "/tmp/log"}, map[string]string{"TF_ACC_LOG_PATH": "/tmp/log"}},
		{"explicit SDK level kept", map[string]string{"TF_LOG_SDK": "INFO"}, map[string]string{"TF_LOG_SDK": "INFO", "TF_LOG_PROVIDER": "OFF"}},
	} {
		env := maps.Clone(tc.env)
		quietUnreadLogs(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
		if !maps.Equal(env, tc.want) {
			t.Errorf("%s: environment %v, want %v", tc.name, env, tc.want)
		}
	}
}
