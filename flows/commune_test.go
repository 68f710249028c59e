package flows

import (
	"testing"

	"reentrybot/i18n"
)

func TestCommuneLabels(t *testing.T) {
	cat, err := i18n.Load(nil)
	if err != nil {
		t.Fatal(err)
	}
	tuSon := Commune{Code: "09367", Name: "Từ Sơn", FullName: "Phường Từ Sơn, Tỉnh Bắc Ninh", Type: "ward"}
	bacLung := Commune{Code: "07498", Name: "Bắc Lũng", FullName: "Xã Bắc Lũng, Tỉnh Bắc Ninh", Type: "commune"}
	tests := []struct {
		name, lang string
		m          CommuneMatch
		want       string
	}{
		{"own name", "vi", CommuneMatch{Commune: tuSon}, "Phường Từ Sơn"},
		{"former ward", "vi", CommuneMatch{Commune: tuSon, FormerName: "Đình Bảng", FormerType: "ward", FormerDistrict: "Thành phố Từ Sơn"},
			"Phường Từ Sơn (trước đây là phường Đình Bảng, TP Từ Sơn)"},
		{"former ward, English", "en", CommuneMatch{Commune: tuSon, FormerName: "Đình Bảng", FormerType: "ward", FormerDistrict: "Thành phố Từ Sơn"},
			"Phường Từ Sơn (formerly phường Đình Bảng, TP Từ Sơn)"},
		{"former township", "vi", CommuneMatch{Commune: tuSon, FormerName: "Chờ", FormerType: "township", FormerDistrict: "Huyện Yên Phong"},
			"Phường Từ Sơn (trước đây là thị trấn Chờ, huyện Yên Phong)"},
		{"former district", "vi", CommuneMatch{Commune: bacLung, FormerDistrict: "Huyện Lục Nam"}, "Xã Bắc Lũng (thuộc huyện Lục Nam cũ)"},
		{"former town", "en", CommuneMatch{Commune: bacLung, FormerDistrict: "Thị xã Chũ"}, "Xã Bắc Lũng (in the former TX Chũ)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := communeOption(tt.m)
			got := o.Label
			if o.Key != "" {
				if got, err = cat.Render(tt.lang, o.Key, o.Params); err != nil {
					t.Fatal(err)
				}
			}
			if got != tt.want || o.ID != "c:"+tt.m.Code {
				t.Errorf("option %q %q, want c:%s %q", o.ID, got, tt.m.Code, tt.want)
			}
		})
	}
	q, err := cat.Render("vi", "commune_former_confirm", map[string]any{"Commune": "Phường Từ Sơn", "Former": "phường Đình Bảng", "District": "TP Từ Sơn"})
	if want := "Phường Từ Sơn? (trước đây là phường Đình Bảng, TP Từ Sơn)"; err != nil || q != want {
		t.Errorf("confirm question %q, %v; want %q", q, err, want)
	}
}
