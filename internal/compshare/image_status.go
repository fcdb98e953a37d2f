package compshare

import (
	"strings"
)

// ImageMeaning is what an image status word means: the one place where a
// status word is judged. The wait, the resource's plan, the data sources and
// the list resource all ask MeaningOf.
type ImageMeaning int

const (
	// ImageUnknown is a word this provider does not know: a wait keeps
	// waiting and says so; a plan leaves the image as it is.
	ImageUnknown       ImageMeaning = iota
	ImageBuilding                   // Making: not usable yet; apply waits for it
	ImageUsable                     // Available: the build is done and the image can be used
	ImagePendingReview              // Reviewing: published and under review; not usable until it passes
	ImageFailed                     // UnAvailable: the build failed, or the image is unusable
	ImageGone                       // Offline: taken down by the platform
)

// imageStatuses holds each status word with its meaning and the glossary's
// wording, in the order the docs list them. Source: DescribeCompShareCustomImages
// (see API-NOTES.md).
var imageStatuses = []struct {
	word    string
	meaning ImageMeaning
	gloss   string
}{
	{StatusMaking, ImageBuilding, "being built"},
	{StatusAvailable, ImageUsable, "usable"},
	{StatusFailed, ImageFailed, "failed or unusable"},
	{StatusReviewing, ImagePendingReview, "under review after publishing"},
	{StatusOffline, ImageGone, "taken down"},
}

// MeaningOf says what an image status word means. The API's spelling varies,
// so case does not count (the client already trims spaces from the answer).
func MeaningOf(status string) ImageMeaning {
	for _, s := range imageStatuses {
		if strings.EqualFold(status, s.word) {
			return s.meaning
		}
	}
	return ImageUnknown
}

// Usable reports whether an image of this meaning can be used.
func (m ImageMeaning) Usable() bool { return m == ImageUsable }

// Unusable reports whether an image of this meaning can never become usable
// as it is (failed or taken down): a wait for it ends in failure, and the next
// apply builds a new image in its place.
func (m ImageMeaning) Unusable() bool { return m == ImageFailed || m == ImageGone }

// ImageStatusWords are the status words DescribeCompShareCustomImages uses,
// as the API spells them.
func ImageStatusWords() []string {
	words := make([]string, len(imageStatuses))
	for i, s := range imageStatuses {
		words[i] = s.word
	}
	return words
}

// ImageStatusGlossary is the status words with what each means, for
// documentation: "`Making` (being built), `Available` (usable), ... or
// `Offline` (taken down)".
func ImageStatusGlossary() string {
	var b strings.Builder
	for i, s := range imageStatuses {
		switch {
		case i == len(imageStatuses)-1:
			b.WriteString(" or ")
		case i > 0:
			b.WriteString(", ")
		}
		b.WriteString("`" + s.word + "` (" + s.gloss + ")")
	}
	return b.String()
}
