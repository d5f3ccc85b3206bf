package nomadlike

// PauseWorkersForTest stops s's workers from taking evaluations, so a test
// can tell which servers' workers scheduled what.
func PauseWorkersForTest(s *Server) {
	for _, w := range s.workers {
		w.Pause()
	}
}
