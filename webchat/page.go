package webchat

import (
	"embed"
	"html/template"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// pages are the landing, chat and notice pages (static/page.html):
// html/template escapes every message, so HTML a person or a counsellor
// typed shows as text.
var pages = template.Must(template.New("").ParseFS(staticFS, "static/page.html"))

// texts are the page's own words, Vietnamese first.
var texts = map[string]map[string]string{
	"vi": {
		"title":        "Hỗ trợ tìm việc làm",
		"subtitle":     "Trung tâm Dịch vụ việc làm tỉnh Bắc Ninh · miễn phí",
		"intro":        "Trò chuyện với trợ lý của Trung tâm để tìm việc làm, học nghề, vay vốn ưu đãi. Không cần tài khoản, không cần cài ứng dụng.",
		"start":        "Bắt đầu",
		"continue":     "Tiếp tục trên điện thoại này",
		"continue_why": "Đã trò chuyện trên điện thoại khác? Nhập mã đã ghi lại và số điện thoại bạn đã cho.",
		"code":         "Mã của bạn",
		"phone":        "Số điện thoại",
		"write":        "Nhập tin nhắn…",
		"send":         "Gửi",
		"your_code":    "Mã của bạn (ghi lại để tiếp tục trên điện thoại khác):",
		"shared":       "Ai dùng chung điện thoại này có thể đọc cuộc trò chuyện.",
		"end":          "Kết thúc trên điện thoại này",
		"notify":       "Báo khi có trả lời",
		"download":     "Tải tệp",
		"offline":      "Mất kết nối, đang thử lại…",
		"slow_down":    "Bạn gửi nhanh quá. Vui lòng đợi một chút rồi gửi lại.",
		"too_long":     "Tin nhắn dài quá. Vui lòng viết ngắn hơn.",
		"forbidden":    "Yêu cầu không hợp lệ. Vui lòng mở lại trang.",
		"bad_request":  "Yêu cầu không hợp lệ.",
		"no_match":     "Mã hoặc số điện thoại không đúng.",
		"locked":       "Đã thử sai nhiều lần. Vui lòng thử lại sau một giờ.",
		"session_over": "Phiên đã kết thúc. Vui lòng mở lại trang.",
		"try_later":    "Hệ thống đang bận. Vui lòng thử lại sau.",
		"back":         "Quay lại",
		"link_gone":    "Liên kết tải tệp này không dùng được nữa: có thể đã hết hạn, đã mở quá số lần cho phép, hoặc bị chép sai. Để nhận tệp mới, hãy gõ /mydata trong cuộc trò chuyện với Trung tâm.",
	},
	"en": {
		"title":        "Help finding work",
		"subtitle":     "Bắc Ninh Employment Service Centre · free",
		"intro":        "Chat with the Centre's assistant about jobs, vocational courses and preferential loans. No account, no app to install.",
		"start":        "Start",
		"continue":     "Continue on this phone",
		"continue_why": "Chatted on another phone before? Enter the code you wrote down and the phone number you gave.",
		"code":         "Your code",
		"phone":        "Phone number",
		"write":        "Type a message…",
		"send":         "Send",
		"your_code":    "Your code (write it down to continue on another phone):",
		"shared":       "Anyone who uses this phone can read this chat.",
		"end":          "End the session on this phone",
		"notify":       "Tell me when an answer arrives",
		"download":     "Download the file",
		"offline":      "Connection lost, retrying…",
		"slow_down":    "You are sending too fast. Please wait a moment and send again.",
		"too_long":     "The message is too long. Please write less.",
		"forbidden":    "Invalid request. Please open the page again.",
		"bad_request":  "Invalid request.",
		"no_match":     "The code or the phone number is not right.",
		"locked":       "Too many wrong tries. Please try again in an hour.",
		"session_over": "The session has ended. Please open the page again.",
		"try_later":    "The service is busy. Please try again later.",
		"back":         "Back",
		"link_gone":    "This download link no longer works: it may have expired, been opened too many times, or been copied wrongly. To get a new file, type /mydata in your chat with the Centre.",
	},
}

func text(lang, key string) string {
	if t, ok := texts[lang][key]; ok {
		return t
	}
	return texts["vi"][key]
}

// static serves the script, the style and the service worker (at /chat/sw.js,
// so that its scope covers the page's).
func (c *Channel) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if strings.HasSuffix(r.URL.Path, "/sw.js") {
		name = "sw.js"
		w.Header().Set("Service-Worker-Allowed", Path)
	}
	if name != "app.js" && name != "style.css" && name != "sw.js" {
		http.NotFound(w, r)
		return
	}
	b, err := staticFS.ReadFile(path.Join("static", name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := "text/css; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache") // revalidated; small anyway
	_, _ = w.Write(b)
}
