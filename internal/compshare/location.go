package compshare

import "strings"

// ZoneInRegion reports whether zone belongs to region: UCloud names its zones
// after their region and a number (cn-sh2-02 is in cn-sh2). The API answers a
// zone of another region with RetCode 230 "Params [Zone] not available".
func ZoneInRegion(zone, region string) bool {
	return strings.HasPrefix(zone, region+"-")
}
