package seed

// Word lists for plausible Vietnamese dossiers. They only need to look
// real to a reader of a list or a report.

var productWords = []string{
	"linh kiện điện tử", "bảng mạch in", "thiết bị bán dẫn", "pin lithium", "dược phẩm",
	"thực phẩm chế biến", "sữa và sản phẩm từ sữa", "bia và đồ uống", "bao bì nhựa", "thép xây dựng",
	"xi măng", "gạch ốp lát", "phụ tùng ô tô", "xe máy điện", "thiết bị y tế", "vải kỹ thuật",
	"may mặc xuất khẩu", "giày da", "đồ gỗ nội thất", "phân bón hữu cơ", "thức ăn chăn nuôi",
	"kính tiết kiệm năng lượng", "dây và cáp điện", "động cơ điện", "robot công nghiệp",
	"khuôn mẫu chính xác", "mỹ phẩm", "giấy và bột giấy", "sơn công nghiệp", "tấm pin mặt trời",
}

var facilityWords = []string{
	"Nhà máy sản xuất", "Dự án đầu tư xây dựng nhà máy", "Dự án mở rộng nhà máy", "Tổ hợp sản xuất",
	"Trung tâm nghiên cứu và sản xuất", "Dự án nâng công suất dây chuyền",
}

var otherProjects = map[string][]string{
	"A": {"Trang trại chăn nuôi bò sữa công nghệ cao", "Vùng trồng rau thủy canh", "Khu nuôi trồng thủy sản tuần hoàn"},
	"B": {"Mỏ khai thác đá vôi", "Dự án khai thác cát nền"},
	"D": {"Nhà máy điện mặt trời áp mái", "Nhà máy điện rác", "Trạm biến áp và lưới điện", "Nhà máy điện sinh khối"},
	"E": {"Nhà máy xử lý nước thải", "Khu xử lý chất thải rắn", "Nhà máy nước sạch"},
	"F": {"Khu đô thị mới", "Tổ hợp văn phòng và nhà ở", "Cầu vượt nút giao"},
	"G": {"Trung tâm thương mại", "Trung tâm phân phối hàng hóa"},
	"H": {"Trung tâm logistics", "Kho lạnh trung chuyển", "Bến xe khách liên tỉnh"},
	"I": {"Khách sạn năm sao", "Khu nghỉ dưỡng sinh thái"},
	"J": {"Trung tâm dữ liệu", "Khu công viên phần mềm", "Trạm phát sóng 5G"},
	"K": {"Trung tâm xử lý dữ liệu ngân hàng"},
	"L": {"Tòa nhà văn phòng cho thuê", "Khu nhà ở xã hội"},
	"M": {"Trung tâm thử nghiệm và kiểm định", "Viện nghiên cứu công nghệ sinh học"},
	"N": {"Trung tâm dịch vụ vệ sinh công nghiệp"},
	"P": {"Trường đào tạo nghề kỹ thuật cao"},
	"Q": {"Bệnh viện đa khoa quốc tế", "Trung tâm xạ trị"},
	"R": {"Khu vui chơi giải trí"},
	"S": {"Trung tâm bảo dưỡng thiết bị"},
}

var technologies = []string{
	"Dây chuyền tự động hóa đồng bộ, điều khiển PLC và SCADA",
	"Công nghệ hàn laser và kiểm tra quang học AOI",
	"Lò nung tiết kiệm năng lượng, thu hồi nhiệt thải",
	"Hệ thống xử lý sinh học hiếu khí kết hợp màng lọc MBR",
	"Công nghệ ép phun chính xác và robot gắp sản phẩm",
	"Dây chuyền SMT, lắp ráp và kiểm tra chức năng tự động",
	"Công nghệ lên men và chiết rót vô trùng",
	"Tấm pin đơn tinh thể PERC và bộ nghịch lưu nối lưới",
	"Công nghệ đốt chất thải phát điện, lọc khí thải đa cấp",
	"Hệ thống kho tự động AS/RS và quản lý kho WMS",
	"Công nghệ in 3D kim loại và gia công CNC 5 trục",
	"Máy dệt kim điện tử và nhuộm không dùng nước",
}

var placeWords = []string{
	"Đông Anh", "Sóc Sơn", "Mê Linh", "Thạch Thất", "Quốc Oai", "Gia Lâm", "Long Biên", "Hoài Đức",
	"Thanh Trì", "Thường Tín", "Phú Xuyên", "Chương Mỹ", "Ba Vì", "Đan Phượng", "Sơn Tây", "Hà Đông",
}

var localities = []string{
	"Xã Kim Chung", "Xã Hải Bối", "Phường Phúc Lợi", "Xã Quang Minh", "Xã Phú Cát", "Xã Bình Yên",
	"Phường Thạch Bàn", "Xã Kiêu Kỵ", "Xã Duyên Thái", "Xã Nhị Khê", "Phường Yên Nghĩa", "Xã Tân Dân",
}

var companyStems = []string{
	"Thành Công", "Hưng Thịnh", "An Phát", "Minh Long", "Đại Việt", "Sao Mai", "Hòa Bình", "Phú Thái",
	"Nam Việt", "Trường Sơn", "Hồng Hà", "Tân Á", "Việt Tiến", "Bình Minh", "Kim Long", "Hải Đăng",
	"Thăng Long", "Đông Đô", "Lạc Hồng", "Quang Trung", "Vĩnh Phúc", "Ánh Dương", "Bảo Châu", "Cát Tường",
}

var foreignStems = map[string][]string{
	"KR": {"Samil", "Hanjin Tech", "Daesung", "Korea Precision", "Seoyon"},
	"JP": {"Nippon Seiki", "Tokai Denshi", "Yamato Kogyo", "Fuji Precision", "Hokuriku"},
	"CN": {"Sunwoda", "Goertek", "Luxshare", "Hengli", "Jinko"},
	"SG": {"Sembcorp", "Keppel Land", "Mapletree"},
	"TW": {"Foxlink", "Pegatron", "Compal"},
	"US": {"Intelligent Systems", "Atlas Devices"},
	"DE": {"Bosch Rexroth", "Sachsen Technik"},
	"TH": {"Siam Cement", "Thai Union"},
	"HK": {"Pacific Holdings", "Kowloon Industrial"},
	"FR": {"Alsace Industrie"},
}

var surnames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"}
var middles = []string{"Văn", "Thị", "Hữu", "Minh", "Thu", "Quốc", "Thanh", "Ngọc"}
var givens = []string{"An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hương", "Khánh", "Lan", "Long", "Mai", "Nam", "Phương", "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Yến"}

var returnComments = []string{
	"Hồ sơ thiếu bản thuyết minh công nghệ chi tiết, đề nghị bổ sung.",
	"Đề nghị bổ sung danh mục máy móc, thiết bị kèm năm sản xuất.",
	"Thiếu giấy tờ chứng minh xuất xứ công nghệ.",
	"Đề nghị làm rõ phương án xử lý chất thải của dây chuyền.",
}

var rejectComments = []string{
	"Công nghệ thuộc danh mục hạn chế chuyển giao, không đủ điều kiện.",
	"Hồ sơ không thuộc thẩm quyền thẩm định của Sở.",
	"Dây chuyền đã qua sử dụng vượt quá tuổi thiết bị cho phép.",
}

var extensionComments = []string{
	"Hội đồng thẩm định cần lấy thêm ý kiến chuyên gia; xin lỗi nhà đầu tư và hẹn ngày trả kết quả mới.",
	"Cần khảo sát thực tế dây chuyền công nghệ; gia hạn một lần theo quy định.",
	"Chờ ý kiến của Bộ Khoa học và Công nghệ về công nghệ hạn chế chuyển giao.",
}

var conditionComments = []string{
	"Đạt, với điều kiện thay thế lò sấy bằng thiết bị tiết kiệm năng lượng.",
	"Đạt, chủ đầu tư phải hoàn thiện hệ thống xử lý khí thải trước khi vận hành.",
	"Đạt, với điều kiện bổ sung chương trình đào tạo chuyển giao cho lao động trong nước.",
}

var notApprovedComments = []string{
	"Không đạt: công nghệ lạc hậu, tiêu hao năng lượng cao.",
	"Không đạt: không đáp ứng quy chuẩn môi trường.",
}
