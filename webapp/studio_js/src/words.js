// The editor's own sentences; the page's language comes from the server (choices.lang).
const WORDS = {
  vi: {
    loading: 'Đang tải sơ đồ…', loaded: 'Đã tải sơ đồ. Chọn một phần tử trên sơ đồ hoặc trong danh sách để sửa.',
    loadFailed: 'Không tải được sơ đồ: ', checking: 'Đang kiểm tra và lưu…',
    notSaved: 'Sơ đồ chưa hợp lệ, chưa lưu gì. Xem các lỗi được đánh dấu.', saveFailed: 'Không lưu được (mã ',
    noSelection: 'Chưa chọn phần tử', properties: 'Thuộc tính', name: 'Tên', role: 'Vai trò của làn',
    roleHint: 'Tên làn là vai trò thực hiện các bước trong làn.', chooseRole: '— chọn vai trò —', unknown: '(không rõ)',
    form: 'Biểu mẫu (JSON Schema)', uiForm: 'Bố cục biểu mẫu (UI schema)', noForm: '— không có —',
    instructions: 'Hướng dẫn cho người thực hiện', deadline: 'Thời hạn của bước',
    deadlineHint: 'Ví dụ 2h (giờ làm việc) hoặc 3d (ngày làm việc).', statusOnEnter: 'Trạng thái hồ sơ khi bắt đầu bước',
    statusOnComplete: 'Trạng thái hồ sơ khi xong bước', noStatus: '— không đổi —', connector: 'Kết nối (connector)',
    noConnector: '— không có —', resultVariable: 'Biến nhận kết quả', parameter: 'Tham số', required: '(bắt buộc)',
    parameterHint: 'Giá trị là tên biến hoặc biểu thức trong dữ liệu hồ sơ.', showOnDiagram: 'Xem trên sơ đồ',
    problemOn: 'Lỗi ở phần tử',
  },
  en: {
    loading: 'Loading the diagram…', loaded: 'The diagram is loaded. Pick an element on the diagram or in the list to edit it.',
    loadFailed: 'The diagram could not be loaded: ', checking: 'Checking and saving…',
    notSaved: 'The diagram is not valid; nothing was stored. See the marked problems.', saveFailed: 'Not saved (code ',
    noSelection: 'No element selected', properties: 'Properties', name: 'Name', role: "The lane's role",
    roleHint: "A lane's name is the role that does the steps in it.", chooseRole: '— choose a role —', unknown: '(unknown)',
    form: 'Form (JSON Schema)', uiForm: 'Form layout (UI schema)', noForm: '— none —',
    instructions: 'Instructions for the person doing the step', deadline: 'Step deadline',
    deadlineHint: 'For example 2h (working hours) or 3d (working days).', statusOnEnter: 'Dossier status when the step starts',
    statusOnComplete: 'Dossier status when the step is done', noStatus: '— unchanged —', connector: 'Connector',
    noConnector: '— none —', resultVariable: 'Variable for the result', parameter: 'Parameter', required: '(required)',
    parameterHint: "A value is a variable name or an expression over the dossier's data.", showOnDiagram: 'Show on the diagram',
    problemOn: 'Problem on element',
  },
};

export function words(lang) {
  const table = WORDS[lang] || WORDS.vi;
  return (key) => table[key] || key;
}
