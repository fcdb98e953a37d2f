package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ucloud/ucloud-sdk-go/external"
)

// Where the UCloud CLI keeps its files. They are expanded here rather than
// left to the SDK, which finds the home directory without looking at $HOME
// and treats every path it is given as named explicitly.
const (
	DefaultSharedCredentialsFile = "~/.ucloud/credential.json"
	DefaultSharedConfigFile      = "~/.ucloud/config.json"
)

// sharedProfile is one profile of the files the UCloud CLI writes:
// credential.json (keys) and config.json (region, zone, project). Their
// base_url is UCloud's API, not Compshare's, so it is not used.
type sharedProfile struct {
	publicKey, privateKey, region, zone, projectID string
}

// choice is a setting's value and the attribute or environment variable
// that chose it; by is "" when the value is a default.
type choice struct{ value, by string }

// loadSharedProfile reads profile from the two files. A file at its default
// location may be missing, one named explicitly may not; a file that exists
// must be valid. When keysNeeded, a profile chosen explicitly must have a
// key pair: silently finding none would hide a typo in its name.
func loadSharedProfile(credentialsFile, configFile, profile choice, keysNeeded bool) (sharedProfile, error) {
	var p sharedProfile
	credentialsPath := expandHome(credentialsFile.value)
	cred, err := external.LoadUCloudCredentialFile(credentialsPath, profile.value)
	switch {
	case err == nil:
		p.publicKey, p.privateKey = cred.PublicKey, cred.PrivateKey
	case !missingDefault(credentialsFile, err):
		return sharedProfile{}, fileError("shared credentials file", credentialsPath, credentialsFile.by, err)
	}
	configPath := expandHome(configFile.value)
	cfg, err := external.LoadUCloudConfigFile(configPath, profile.value)
	switch {
	case err == nil:
		p.region, p.zone, p.projectID = cfg.Region, cfg.Zone, cfg.ProjectId
	case !missingDefault(configFile, err):
		return sharedProfile{}, fileError("shared config file", configPath, configFile.by, err)
	}
	if keysNeeded && profile.by != "" && (p.publicKey == "" || p.privateKey == "") {
		return sharedProfile{}, fmt.Errorf("profile %q, chosen by %s, has no key pair in the shared credentials file %s",
			profile.value, profile.by, credentialsPath)
	}
	return p, nil
}

func missingDefault(file choice, err error) bool {
	return file.by == "" && errors.Is(err, fs.ErrNotExist)
}

// fileError names the file and what chose it. The SDK's errors come from
// os and encoding/json, which show no more than one character of content.
func fileError(what, path, by string, err error) error {
	if by == "" {
		return fmt.Errorf("cannot read the %s %s: %w", what, path, err)
	}
	return fmt.Errorf("cannot read the %s %s, named by %s: %w", what, path, by, err)
}

// expandHome resolves a leading ~/ as the UCloud CLI does.
func expandHome(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return path
}
