package allocrunner

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orch-dev/orch/nomadlike/structs"
)

func TestAllocRunner_Artifacts(t *testing.T) {
	t.Parallel()
	body := []byte("listen = 8080\n")
	sum := sha256.Sum256(body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/app.conf" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)

	t.Run("fetched into the task dir before the task starts", func(t *testing.T) {
		t.Parallel()
		alloc := testAlloc(structs.JobTypeService, map[string]interface{}{})
		alloc.Job.TaskGroups[0].Tasks[0].Artifacts = []*structs.TaskArtifact{{
			GetterSource: srv.URL + "/app.conf", GetterMode: structs.GetterModeFile,
			RelativeDest:  "${NOMAD_TASK_DIR}/conf/app.conf",
			GetterOptions: map[string]string{"checksum": "sha256:" + hex.EncodeToString(sum[:])},
		}}
		h := newHarness(t, alloc)
		a := h.waitStatus(structs.AllocClientStatusRunning)
		assertEvents(t, a.TaskStates["web"], structs.TaskReceived, structs.TaskSetup, structs.TaskDownloadingArtifacts, structs.TaskStarted)
		got, err := os.ReadFile(filepath.Join(h.ar.AllocDir().TaskDir("web").LocalDir, "conf", "app.conf"))
		if err != nil || string(got) != string(body) {
			t.Fatalf("artifact = %q, %v", got, err)
		}
	})

	t.Run("a failed download follows the restart policy", func(t *testing.T) {
		t.Parallel()
		alloc := testAlloc(structs.JobTypeService, map[string]interface{}{})
		alloc.Job.TaskGroups[0].Tasks[0].Artifacts = []*structs.TaskArtifact{{
			GetterSource: srv.URL + "/missing.tgz", GetterMode: structs.GetterModeAny, RelativeDest: "local/",
		}}
		h := newHarness(t, alloc)
		a := h.waitStatus(structs.AllocClientStatusFailed)
		st := a.TaskStates["web"]
		assertEvents(t, st, structs.TaskReceived, structs.TaskSetup,
			structs.TaskDownloadingArtifacts, structs.TaskArtifactDownloadFl, structs.TaskRestarting,
			structs.TaskDownloadingArtifacts, structs.TaskArtifactDownloadFl, structs.TaskNotRestarting)
		if msg := st.Events[3].DisplayMessage; !strings.Contains(msg, "404 Not Found") {
			t.Fatalf("failure event = %q, want the server's answer", msg)
		}
		if !st.Failed || !st.StartedAt.IsZero() {
			t.Fatalf("task = %+v: want failed, never started", st)
		}
	})
}
