package emulator

import (
	"slices"
	"strconv"
	"time"
)

// SetImage adds img, or replaces the image with the same ID; a zero Start
// means now. A replaced image keeps the moment it appeared (for its unknown
// window) and a pending termination. An invalid image is a programming error:
// SetImage panics.
func (s *Server) SetImage(img Image) {
	if err := img.validate(s.served); err != nil {
		panic("emulator: SetImage: " + err.Error())
	}
	st := s.appeared(img)
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.IndexFunc(s.images, func(x *imageState) bool { return x.ID == img.ID }); i >= 0 {
		s.images[i].Image = st.Image
	} else {
		s.images = append(s.images, st)
	}
}

// Image returns the image with the given id as the server has it now (with the
// Start it was given), including images made by CreateCompShareCustomImage;
// false if there is none or it is gone after termination.
func (s *Server) Image(id string) (Image, bool) { return s.find(id) }

// Images returns every image the server has, in the order they were added.
func (s *Server) Images() []Image {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(s.cfg.Now())
	images := make([]Image, len(s.images))
	for i, st := range s.images {
		images[i] = st.Image
	}
	return images
}

// SetNewBuild changes how builds started by CreateCompShareCustomImage from now
// on go (see Config.NewBuild). An invalid template panics.
func (s *Server) SetNewBuild(img Image) {
	if err := img.validateBuild(); err != nil {
		panic("emulator: SetNewBuild: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.newBuild = img
}

// CompletedAt is the moment the image reaches 100 %; false for an unknown
// image or one whose build fails.
func (s *Server) CompletedAt(id string) (time.Time, bool) {
	img, ok := s.find(id)
	if !ok {
		return time.Time{}, false
	}
	return img.completedAt()
}

// UsableAt is the moment DescribeCompShareCustomImages starts listing the image
// as Available: CompletedAt plus the image's AvailableAfter. False for an
// unknown image, one whose build fails, or one whose Status is forced.
func (s *Server) UsableAt(id string) (time.Time, bool) {
	img, ok := s.find(id)
	if !ok {
		return time.Time{}, false
	}
	return img.usableAt()
}

// imageState is an image and what the server knows about it beyond its build.
type imageState struct {
	Image
	appeared    time.Time     // when the server got it
	answersLeft int           // answers still to refuse as unknown
	unknownFor  time.Duration // unknown this long after appeared
	terminated  time.Time     // zero: not terminated
}

// appeared is the state of an image the server gets now; a zero Start means now.
func (s *Server) appeared(img Image) *imageState {
	now := s.cfg.Now()
	if img.Start.IsZero() {
		img.Start = now
	}
	st := &imageState{Image: img, appeared: now, answersLeft: img.UnknownAnswers, unknownFor: img.UnknownFor}
	if st.answersLeft == 0 {
		st.answersLeft = s.cfg.UnknownAnswers
	}
	if st.unknownFor == 0 {
		st.unknownFor = s.cfg.UnknownFor
	}
	return st
}

func (s *Server) find(id string) (Image, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.state(id); st != nil {
		return st.Image, true
	}
	return Image{}, false
}

// state is the image with the given id, nil if none; s.mu must be held.
func (s *Server) state(id string) *imageState {
	s.prune(s.cfg.Now())
	i := slices.IndexFunc(s.images, func(x *imageState) bool { return x.ID == id })
	if i < 0 {
		return nil
	}
	return s.images[i]
}

// prune forgets the images whose termination has run its course; s.mu must be held.
func (s *Server) prune(now time.Time) {
	s.images = slices.DeleteFunc(s.images, func(x *imageState) bool {
		return !x.terminated.IsZero() && !now.Before(x.terminated.Add(s.cfg.TerminateLinger))
	})
}

// known reports whether the API knows the image a request names, counting the
// request as one of the answers its unknown window lasts; s.mu must be held.
func (s *Server) known(st *imageState, now time.Time) bool {
	hidden := st.hidden(now)
	st.answersLeft = max(st.answersLeft-1, 0)
	return !hidden
}

// hidden reports whether the image is still in its unknown window.
func (st *imageState) hidden(now time.Time) bool {
	return st.answersLeft > 0 || st.unknownFor > 0 && now.Before(st.appeared.Add(st.unknownFor))
}

// named is the image a request names by CompShareImageId, if the API knows it
// there now; s.mu must be held.
func (s *Server) named(req query, now time.Time) *imageState {
	st := s.state(req.get("CompShareImageId"))
	if st == nil || !st.servedIn(req.get("Region"), req.get("Zone")) || !s.known(st, now) {
		return nil
	}
	return st
}

// unknownImage is UCloud's answer to an image id it does not know.
func unknownImage(action string) *reply {
	return failure(action, 230, "Params [CompShareImageId] not available")
}

func (s *Server) progress(req query, now time.Time) answer {
	if r := missing(actionProgress, req, "Region", "Zone", "CompShareImageId"); r != nil {
		return r
	}
	s.mu.Lock()
	st := s.named(req, now)
	s.mu.Unlock()
	if st == nil {
		return unknownImage(actionProgress)
	}
	p := st.progressAt(now)
	a := &progressReply{reply: success(actionProgress), Process: p.percent}
	if p.estimate {
		a.TotalDuration, a.RemainingDuration = s.seconds(p.total), s.seconds(p.remaining)
	}
	return a
}

func (s *Server) seconds(n int64) any {
	if s.cfg.DurationsAsStrings {
		return strconv.FormatInt(n, 10)
	}
	return n
}

func (s *Server) describe(req query, now time.Time) answer {
	if r := missing(actionDescribe, req, "Region", "Zone"); r != nil {
		return r
	}
	offset, limit, bad := page(actionDescribe, req)
	if bad != nil {
		return bad
	}
	s.mu.Lock()
	var images []Image
	if id := req.get("CompShareImageId"); id != "" {
		// An id filter names an image: one the API does not know yet is a bad value, as elsewhere.
		if st := s.state(id); st != nil && st.servedIn(req.get("Region"), req.get("Zone")) {
			if !s.known(st, now) {
				s.mu.Unlock()
				return unknownImage(actionDescribe)
			}
			images = append(images, st.Image)
		}
	} else {
		for _, st := range s.images {
			if st.servedIn(req.get("Region"), req.get("Zone")) && !st.hidden(now) {
				images = append(images, st.Image)
			}
		}
	}
	s.mu.Unlock()

	items := []imageItem{} // [] rather than null when empty
	for _, img := range images {
		items = append(items, describeImage(img, now))
	}
	total := len(items)
	return &describeReply{reply: success(actionDescribe), TotalCount: total, ImageSet: window(items, offset, limit)}
}

func describeImage(img Image, now time.Time) imageItem {
	status, reason := img.statusAt(now)
	return imageItem{
		CompShareImageID: img.ID,
		Name:             img.name(),
		Description:      img.Description,
		ImageType:        "Custom",
		Status:           status,
		FailedReason:     reason,
		Size:             img.SizeMB,
		CreateTime:       img.Start.Unix(),
		Container:        containerWord(img.Container),
		SourceGpuType:    img.SourceGpuType,
		Tags:             append([]string{}, img.Tags...), // [] rather than null when empty
		Visibility:       img.Visibility,
	}
}
