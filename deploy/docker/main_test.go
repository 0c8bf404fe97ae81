// Tests of the container image (Dockerfile, Dockerfile.prebuilt) and the Compose stack
// (deploy/compose), against a private dockerd started for them.
package docker_test

import (
	"testing"

	"github.com/chatproxy/chatproxy/deploy/internal/deploytest"
	"github.com/chatproxy/chatproxy/deploy/internal/dockertest"
)

func TestMain(m *testing.M) { deploytest.Main(m, dockertest.Stop) }
