package idp

import "time"

// SetCertValidity changes the lifetime of the certificates s generates from now on, so that a test can make
// certificates that expire soon.
func (s *Service) SetCertValidity(d time.Duration) { s.certValidity = d }
