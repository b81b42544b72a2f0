"""Every sentence the engine says to a person, in Vietnamese first and English second.

Codes are stable (tests and API clients match on them); sentences may be reworded.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("vi", "en")

CATALOG: dict[str, tuple[str, str]] = {
    # --- package files and XML -------------------------------------------------------
    "missing_file": ("Thiếu tệp {name}.", "The file {name} is missing."),
    "not_utf8": ("Tệp không phải văn bản UTF-8.", "The file is not UTF-8 text."),
    "file_too_large": (
        "Tệp quá lớn ({size} byte, tối đa {limit} byte).",
        "The file is too large ({size} bytes, at most {limit}).",
    ),
    "xml_malformed": ("XML không hợp lệ: {detail}", "The XML is malformed: {detail}"),
    "xml_doctype": (
        "Tệp XML có khai báo DOCTYPE hoặc ENTITY. Hệ thống từ chối vì lý do an toàn "
        "(có thể là tấn công mở rộng thực thể hoặc thực thể ngoài).",
        "The XML declares a DOCTYPE or entities. It is refused for safety "
        "(entity expansion or external entity attack).",
    ),
    "bpmn_invalid": ("BPMN không hợp lệ: {detail}", "The BPMN is invalid: {detail}"),
    "no_executable_process": (
        "Không có quy trình nào được đánh dấu isExecutable=\"true\".",
        'No process is marked isExecutable="true".',
    ),
    "metadata_unreadable": ("Không đọc được siêu dữ liệu: {detail}", "The metadata cannot be read: {detail}"),
    "metadata_invalid": ("Mục {path}: {detail}", "Entry {path}: {detail}"),
    "slug_mismatch": (
        "slug '{slug}' trong siêu dữ liệu khác tên thư mục '{folder}'.",
        "The slug '{slug}' in the metadata differs from the folder name '{folder}'.",
    ),
    # --- province overlays ------------------------------------------------------------
    "overlay_unreadable": ("Không đọc được tệp điều chỉnh của tỉnh: {detail}",
                           "The province overlay cannot be read: {detail}"),
    "overlay_invalid": ("Điều chỉnh của tỉnh, mục {path}: {detail}", "Province overlay, entry {path}: {detail}"),
    "overlay_several": ("Gói có nhiều tệp điều chỉnh ({files}); mỗi tỉnh chỉ một tệp cho một thủ tục.",
                        "The package has several overlays ({files}); one per province and procedure."),
    "overlay_wrong_procedure": ("Tệp điều chỉnh dành cho thủ tục '{slug}', không phải '{folder}'.",
                                "The overlay is for the procedure '{slug}', not '{folder}'."),
    "overlay_wrong_folder": ("Tệp điều chỉnh của tỉnh '{province}' phải nằm trong thư mục overlays/{province}/.",
                             "The overlay of province '{province}' must be in the folder overlays/{province}/."),
    "overlay_unknown_fee": ("Thủ tục không có khoản phí, lệ phí '{key}'. Có: {known}.",
                            "The procedure has no fee '{key}'. It has: {known}."),
    "overlay_online_above_amount": (
        "Mức thu khi nộp trực tuyến của '{key}' ({online} đồng) cao hơn mức thu thông thường ({amount} đồng).",
        "The online amount of '{key}' ({online} VND) is higher than the normal amount ({amount} VND).",
    ),
    "overlay_longer_deadline": (
        "Tỉnh chỉ được rút ngắn thời hạn giải quyết: {amount} dài hơn {national} của thủ tục.",
        "A province may only shorten the processing time: {amount} is longer than the procedure's {national}.",
    ),
    "overlay_unknown_component": ("Thủ tục không có thành phần hồ sơ '{key}'. Có: {known}.",
                                  "The procedure has no dossier component '{key}'. It has: {known}."),
    "overlay_required_component": (
        "Thành phần hồ sơ '{key}' là bắt buộc theo thủ tục quốc gia; tỉnh không được bỏ.",
        "The dossier component '{key}' is required by the national procedure; a province cannot drop it.",
    ),
    "overlay_unknown_lane": ("Thủ tục không có làn '{lane}'. Có: {known}.",
                             "The procedure has no lane '{lane}'. It has: {known}."),
    # --- lanes, forms, connectors -----------------------------------------------------
    "lane_unknown_role": (
        "Làn '{lane}' không phải là vai trò đã biết. Các vai trò: {known}.",
        "The lane '{lane}' is not a known role. Known roles: {known}.",
    ),
    "lane_not_routed": (
        "Làn '{lane}' chưa được khai báo trong mục lanes của procedure.yaml (đơn vị nào xử lý?).",
        "The lane '{lane}' is missing from the lanes section of procedure.yaml (which unit handles it?).",
    ),
    "element_without_lane": (
        "Bước '{name}' không nằm trong làn nào nên không biết ai thực hiện.",
        "The step '{name}' is in no lane, so nobody is assigned to it.",
    ),
    "form_missing": ("Không tìm thấy tệp biểu mẫu {name}.", "The form file {name} does not exist."),
    "component_condition_field": (
        "Thành phần {component}: required_when nêu trường {field}, nhưng tờ khai không có trường này.",
        "Component {component}: required_when names the field {field}, which the declaration does not have.",
    ),
    # --- what the product reads (procedure.yaml fields:, engine/bindings.py) -------------
    "field_path_unknown": (
        "fields.{concept}: không biểu mẫu nào của thủ tục có trường {field}.",
        "fields.{concept}: no form of the procedure has the field {field}.",
    ),
    "field_path_not_in_step_form": (
        "fields.{concept}: biểu mẫu {form} của bước {step} không có trường {field}.",
        "fields.{concept}: the form {form} of the step {step} has no field {field}.",
    ),
    "fields_step_unknown": (
        "fields.steps.{step}: quy trình không có bước (user task) nào có mã {step}.",
        "fields.steps.{step}: the process has no user task with the id {step}.",
    ),
    # --- result documents (procedure.yaml result.documents) ------------------------------
    "result_template_missing": (
        "Văn bản kết quả {document}: không có tệp mẫu {template} cạnh process.bpmn.",
        "Result document {document}: there is no template file {template} next to process.bpmn.",
    ),
    "result_template_invalid": (
        "Mẫu văn bản kết quả không đọc được: {detail}",
        "The result document's template cannot be read: {detail}",
    ),
    "result_placeholder_undeclared": (
        "Văn bản kết quả {document}: mẫu dùng {{{{ {placeholder} }}}} (tại {where}) nhưng fields không khai báo "
        "trường này; khai báo nó trong result.documents của procedure.yaml.",
        "Result document {document}: the template uses {{{{ {placeholder} }}}} (at {where}) but fields does not "
        "declare it; declare it in result.documents of procedure.yaml.",
    ),
    "result_field_unknown": (
        "Văn bản kết quả {document}: trường {placeholder} đọc từ {path}, nhưng không biểu mẫu nào của thủ tục có "
        "trường này và không bước kịch bản nào gán biến {variable}.",
        "Result document {document}: the field {placeholder} reads {path}, but no form of the procedure has that "
        "field and no script task assigns {variable}.",
    ),
    "result_field_reserved": (
        "Văn bản kết quả {document}: tên {placeholder} đã dành cho hệ thống ({reserved}); đặt tên khác.",
        "Result document {document}: the name {placeholder} is reserved by the system ({reserved}); choose another.",
    ),
    "result_filter_unknown": (
        "Mẫu văn bản kết quả dùng bộ lọc |{filter} (tại {where}) không có; bộ lọc riêng: {known}.",
        "The result template uses the filter |{filter} (at {where}), which does not exist; own filters: {known}.",
    ),
    "prefill_unknown_source": (
        "Trường {field}: nguồn điền sẵn (x-prefill) không hợp lệ: {detail}. Dùng dan_cu.<trường> hoặc ho_so_truoc.",
        "Field {field}: invalid prefill source (x-prefill): {detail}. Use dan_cu.<field> or ho_so_truoc.",
    ),
    "form_not_json": (
        "Tệp biểu mẫu {name} không phải JSON hợp lệ: {detail}",
        "The form file {name} is not valid JSON: {detail}",
    ),
    "form_schema_invalid": (
        "Biểu mẫu {name} không phải JSON Schema hợp lệ: {detail}",
        "The form {name} is not a valid JSON Schema: {detail}",
    ),
    "form_ref_unresolved": (
        "Biểu mẫu {name} tham chiếu '{ref}' nhưng không tìm thấy.",
        "The form {name} refers to '{ref}', which cannot be found.",
    ),
    "uischema_invalid": (
        "Tệp giao diện biểu mẫu {name} phải là một đối tượng JSON.",
        "The UI schema {name} must be a JSON object.",
    ),
    "connector_unknown": (
        "Tác vụ dịch vụ gọi kết nối '{name}' chưa được đăng ký. Các kết nối có sẵn: {known}.",
        "The service task calls the connector '{name}', which is not registered. Available: {known}.",
    ),
    "connector_param_unknown": (
        "Kết nối '{name}' không nhận tham số '{param}' (chỉ nhận: {declared}).",
        "The connector '{name}' takes no parameter '{param}' (it takes: {declared}).",
    ),
    "connector_param_missing": (
        "Kết nối '{name}' cần tham số '{param}'.",
        "The connector '{name}' needs the parameter '{param}'.",
    ),
    "connector_error_code_unknown": (
        "Sự kiện lỗi bắt mã '{error_code}' nhưng kết nối '{name}' không bao giờ báo mã này (các mã có: {declared}).",
        "The error event catches code '{error_code}', which the connector '{name}' never raises "
        "(its codes: {declared}).",
    ),
    "payment_not_message_wait": (
        "Chỉ sự kiện chờ thông điệp (intermediate catch event có message) mới khai báo được "
        "paymentAmount/paymentFee; '{name}' không phải.",
        "Only a message catch event (intermediate catch event with a message) may declare "
        "paymentAmount/paymentFee; '{name}' is not one.",
    ),
    "payment_amount_invalid": (
        "paymentAmount của '{name}' phải là tên một biến (ví dụ le_phi), không phải '{value}'.",
        "The paymentAmount of '{name}' must be a variable name (e.g. le_phi), not '{value}'.",
    ),
    "payment_fee_unknown": (
        "paymentFee '{value}' của '{name}' không có trong mục fees của procedure.yaml. Các khoản: {known}.",
        "The paymentFee '{value}' of '{name}' is not in the fees of procedure.yaml. Fees: {known}.",
    ),
    # --- scripts and expressions ------------------------------------------------------
    "script_syntax": (
        "Lỗi cú pháp trong {what} (dòng {line}): {detail}",
        "Syntax error in {what} (line {line}): {detail}",
    ),
    "script_forbidden": (
        "{what} dùng điều bị cấm (dòng {line}): {detail}",
        "{what} uses something forbidden (line {line}): {detail}",
    ),
    # --- graph -------------------------------------------------------------------------
    "unreachable": (
        "Không thể đi tới phần tử '{name}' từ bất kỳ sự kiện bắt đầu nào.",
        "The element '{name}' cannot be reached from any start event.",
    ),
    "dead_end": (
        "Phần tử '{name}' không có luồng đi ra nên hồ sơ sẽ mắc kẹt ở đây.",
        "The element '{name}' has no outgoing flow, so a dossier would be stuck there.",
    ),
    "status_invalid": (
        "Mã trạng thái '{value}' không hợp lệ (phải là số từ 1 đến 10).",
        "The status code '{value}' is invalid (it must be a number from 1 to 10).",
    ),
    "deadline_invalid": (
        "Thời hạn bước '{value}' không hợp lệ (ví dụ đúng: 4h, 2d).",
        "The step deadline '{value}' is invalid (examples: 4h, 2d).",
    ),
    # --- sandbox -----------------------------------------------------------------------
    "sandbox_import": ("không được nhập mô-đun (import)", "importing modules is not allowed"),
    "sandbox_private": (
        "không được truy cập thuộc tính nội bộ '{name}'",
        "access to the internal attribute '{name}' is not allowed",
    ),
    "sandbox_name": ("không được dùng '{name}'", "'{name}' is not allowed"),
    "sandbox_statement": ("không được dùng cú pháp '{name}' trong kịch bản",
                          "the '{name}' syntax is not allowed in scripts"),
    "sandbox_attribute": (
        "không được dùng thuộc tính '{name}' của giá trị kiểu {type}",
        "the attribute '{name}' of a {type} value is not allowed",
    ),
    "sandbox_attribute_write": ("không được gán thuộc tính '{name}'",
                                "assigning the attribute '{name}' is not allowed"),
    "sandbox_definition": (
        "hàm '{name}' không được có decorator, chú thích kiểu hay tên bắt đầu bằng '_'",
        "the function '{name}' may not have decorators, annotations or a name starting with '_'",
    ),
    "sandbox_empty": ("kịch bản hoặc biểu thức đang để trống", "the script or expression is empty"),
    "sandbox_too_long": ("kịch bản quá dài (tối đa {limit} ký tự)",
                         "the script is too long (at most {limit} characters)"),
    "sandbox_too_deep": ("kịch bản lồng nhau quá sâu", "the script is nested too deeply"),
    "sandbox_power": (
        "số mũ phải là hằng số không quá {limit}",
        "an exponent must be a constant of at most {limit}",
    ),
    "sandbox_range": (
        "range() quá lớn (tối đa {limit} phần tử)",
        "range() is too large (at most {limit} items)",
    ),
    "sandbox_timeout": (
        "kịch bản chạy quá {seconds} giây và đã bị dừng",
        "the script ran longer than {seconds} s and was stopped",
    ),
    "sandbox_memory": (
        "kịch bản dùng quá nhiều bộ nhớ và đã bị dừng",
        "the script used too much memory and was stopped",
    ),
    "sandbox_crashed": (
        "tiến trình chạy kịch bản đã dừng đột ngột (vượt giới hạn bộ nhớ hoặc thời gian)",
        "the script process stopped abruptly (over its memory or time limit)",
    ),
    "sandbox_value_too_large": (
        "kịch bản ghi vào hồ sơ quá nhiều dữ liệu (tối đa {limit} byte)",
        "the script wrote too much data into the dossier (at most {limit} bytes)",
    ),
    "sandbox_value_type": (
        "kịch bản tạo ra giá trị không lưu được vào hồ sơ ({detail})",
        "the script made a value that cannot be stored in the dossier ({detail})",
    ),
    # --- runtime -------------------------------------------------------------------------
    "instance_failed": (
        "Hồ sơ dừng ở bước '{step}' vì lỗi: {detail}",
        "The dossier stopped at the step '{step}' because of an error: {detail}",
    ),
    "loop_limit": (
        "Quy trình đã lặp quá nhiều lần (độ sâu {depth}, giới hạn {limit}); hồ sơ được dừng để không treo im lặng.",
        "The process looped too many times (depth {depth}, limit {limit}); the dossier was stopped "
        "rather than stall silently.",
    ),
    "stalled": (
        "Quy trình không còn bước nào có thể thực hiện nhưng chưa kết thúc.",
        "The process has no step left to perform but has not finished.",
    ),
    "task_not_ready": (
        "Bước này không còn chờ xử lý (có thể người khác đã làm).",
        "This step is no longer waiting (someone may have done it already).",
    ),
    "instance_is_failed": (
        "Hồ sơ đang ở trạng thái lỗi; cần xử lý lỗi trước.",
        "The dossier is in an error state; the error must be handled first.",
    ),
    "not_waiting_for_message": (
        "Hồ sơ không chờ thông điệp '{name}'.",
        "The dossier is not waiting for the message '{name}'.",
    ),
    "call_not_pending": (
        "Bước gọi hệ thống ngoài này không còn chờ kết quả.",
        "This call to an outside system is no longer waiting for its answer.",
    ),
    "connector_failed": ("Kết nối '{name}' lỗi: {detail}", "The connector '{name}' failed: {detail}"),
    # --- form fields (validation of submitted data) ------------------------------------------
    "field_required": ("Vui lòng nhập {label}.", "Enter {label}."),
    "field_type": ("{label} phải là {expected}.", "{label} must be {expected}."),
    "field_enum": ("{label}: hãy chọn một trong các giá trị cho phép.", "{label}: choose one of the allowed values."),
    "field_const": ("{label} không đúng giá trị yêu cầu.", "{label} does not have the required value."),
    "field_min_length": ("{label} phải có ít nhất {limit} ký tự.", "{label} must be at least {limit} characters."),
    "field_max_length": ("{label} không được quá {limit} ký tự.", "{label} must be at most {limit} characters."),
    "field_pattern": ("{label} không đúng định dạng.", "{label} is not in the right format."),
    "field_format_date": (
        "{label} phải là một ngày hợp lệ (năm-tháng-ngày).",
        "{label} must be a real date (year-month-day).",
    ),
    "field_format": ("{label} không đúng định dạng {format}.", "{label} is not a valid {format}."),
    "field_minimum": ("{label} phải lớn hơn hoặc bằng {limit}.", "{label} must be {limit} or more."),
    "field_maximum": ("{label} phải nhỏ hơn hoặc bằng {limit}.", "{label} must be {limit} or less."),
    "field_exclusive_minimum": ("{label} phải lớn hơn {limit}.", "{label} must be more than {limit}."),
    "field_exclusive_maximum": ("{label} phải nhỏ hơn {limit}.", "{label} must be less than {limit}."),
    "field_min_items": ("{label}: cần ít nhất {limit} mục.", "{label}: add at least {limit} items."),
    "field_max_items": ("{label}: tối đa {limit} mục.", "{label}: at most {limit} items."),
    "field_unique_items": ("{label}: các mục không được trùng nhau.", "{label}: items must not repeat."),
    "field_additional": ("Trường '{name}' không có trong biểu mẫu.", "The field '{name}' is not part of this form."),
    "field_one_of": ("{label}: hãy chọn đúng một phương án.", "{label}: choose exactly one option."),
    "field_any_of": ("{label}: chưa khớp phương án nào.", "{label}: matches none of the options."),
    "field_invalid": ("{label} không hợp lệ.", "{label} is not valid."),
    # --- form and input bounds ---
    "input_too_deep": (
        "Nội dung lồng nhau quá sâu (quá {limit} cấp đối tượng/danh sách); hệ thống từ chối để tránh làm treo máy chủ.",
        "The content is nested too deeply (more than {limit} levels of objects/lists); it is refused so that it "
        "cannot stall the server.",
    ),
    "form_too_deep": (
        "Biểu mẫu {name} lồng nhau quá sâu (quá {limit} cấp); hãy tách thành các tệp dùng chung ($ref).",
        "The form {name} is nested too deeply (more than {limit} levels); split it into shared files ($ref).",
    ),
    "form_limit_too_high": (
        "Biểu mẫu {name}, trường {field}: {keyword} = {value} vượt mức tối đa cho phép {limit}.",
        "The form {name}, field {field}: {keyword} = {value} is above the allowed maximum of {limit}.",
    ),
    "form_pattern_unsupported": (
        "Biểu mẫu {name}, trường {field}: biểu thức chính quy '{pattern}' không được hỗ trợ ({detail}). "
        "Chỉ dùng biểu thức chạy trong thời gian tuyến tính: không tham chiếu ngược (\\1), không nhìn trước/nhìn sau "
        "((?=, (?!, (?<=), tối đa {limit} ký tự.",
        "The form {name}, field {field}: the regular expression '{pattern}' is not supported ({detail}). "
        "Use only expressions that run in linear time: no backreferences (\\1), no lookaround ((?=, (?!, (?<=), "
        "at most {limit} characters.",
    ),
    "form_ref_outside": (
        "Biểu mẫu {name}, trường {field}: {keyword} '{ref}' trỏ ra ngoài gói thủ tục; chỉ được tham chiếu các tệp "
        "trong forms/ của gói.",
        "The form {name}, field {field}: {keyword} '{ref}' points outside the procedure package; only files under "
        "the package's forms/ may be referred to.",
    ),
    "form_id_outside": (
        "Biểu mẫu {name}, trường {field}: $id '{value}' đặt biểu mẫu ra ngoài gói thủ tục; hãy bỏ $id.",
        "The form {name}, field {field}: $id '{value}' moves the form outside the procedure package; remove the $id.",
    ),
    "form_dialect_unsupported": (
        "Biểu mẫu {name}, trường {field}: $schema '{value}' không được hỗ trợ; chỉ dùng "
        "https://json-schema.org/draft/2020-12/schema (hoặc bỏ $schema).",
        "The form {name}, field {field}: $schema '{value}' is not supported; use "
        "https://json-schema.org/draft/2020-12/schema (or leave $schema out).",
    ),
    "form_ref_cycle": (
        "Biểu mẫu {name}, trường {field}: các tham chiếu ({keyword}) vòng lại chính nó mà không đi sâu vào dữ liệu, "
        "nên việc kiểm tra sẽ không bao giờ kết thúc.",
        "The form {name}, field {field}: references ({keyword}) loop back to themselves without going into the "
        "data, so checking would never end.",
    ),
    "form_unresolvable": (
        "Biểu mẫu không dùng được: tham chiếu '{ref}' không tìm thấy; hãy báo người thiết kế thủ tục.",
        "The form cannot be used: the reference '{ref}' cannot be found; tell the procedure's designer.",
    ),
    "form_too_complex": (
        "Biểu mẫu quá phức tạp để kiểm tra (tham chiếu lồng nhau quá sâu); hãy báo người thiết kế thủ tục.",
        "The form is too complex to check (references nest too deeply); tell the procedure's designer.",
    ),
    "field_too_long": (
        "{label} quá dài: tối đa {limit} ký tự.",
        "{label} is too long: at most {limit} characters.",
    ),
    "field_too_many": (
        "{label} có quá nhiều mục: tối đa {limit}.",
        "{label} has too many entries: at most {limit}.",
    ),
    "field_too_deep": (
        "{label}: dữ liệu lồng nhau quá sâu (tối đa {limit} cấp).",
        "{label}: the data is nested too deeply (at most {limit} levels).",
    ),
    # --- path exploration ---
    "path_flow_never_taken": (
        "Luồng '{name}' (từ '{source}' đến '{target}') không bao giờ được đi qua, dù đã thử mọi lựa chọn "
        "của các biểu mẫu, thông điệp, hẹn giờ và kết nối.",
        "The flow '{name}' (from '{source}' to '{target}') is never taken, although every choice of the forms, "
        "messages, timers and connectors was tried.",
    ),
    "path_end_never_reached": (
        "Không có cách nào để hồ sơ kết thúc tại '{name}'.",
        "No dossier can ever finish at '{name}'.",
    ),
    "path_nobody_can_act": (
        "Hồ sơ sẽ chờ tại bước '{name}' mà không ai xử lý được: làn '{lane}' {reason}.",
        "A dossier would wait at '{name}' with nobody able to act: the lane '{lane}' {reason_en}.",
    ),
    "path_lane_missing": ("không có", "is missing"),
    "path_lane_not_routed": ("không được giao cho đơn vị nào trong procedure.yaml (mục lanes)",
                             "is not routed to any unit in procedure.yaml (lanes)"),
    "path_lane_unknown_role": ("được giao cho vai trò '{role}' mà không cán bộ nào có thể được cấp",
                               "is routed to the role '{role}', which no officer can be given"),
    "path_stalled": (
        "Hồ sơ dừng lại tại {where}: quy trình chưa kết thúc mà không còn bước nào để làm, không chờ thông điệp, "
        "hẹn giờ hay kết nối nào.",
        "A dossier stops at {where}: the process has not finished, yet there is no step to do and no message, "
        "timer or connector to wait for.",
    ),
    "path_failed": (
        "Với dữ liệu thử hợp lệ, hồ sơ bị lỗi tại '{step}': {detail}",
        "With valid test data, a dossier fails at '{step}': {detail}",
    ),
    "path_no_answer": (
        "Không tự tạo được dữ liệu hợp lệ cho biểu mẫu {form}; các bước dùng biểu mẫu này chưa được thử.",
        "No valid answer could be made for the form {form}; the steps using it were not tried.",
    ),
    "path_bound_reached": (
        "Đã dừng thăm dò sau {limit} lần thử; các luồng chưa đi qua có thể vẫn đi được.",
        "Exploration stopped after {limit} tries; the flows not taken may still be reachable.",
    ),
    "path_coverage": ("đường đi: {taken}/{total} luồng đã đi qua ({percent}%)",
                      "paths: {taken}/{total} flows taken ({percent}%)"),
    "type_string": ("chuỗi ký tự", "text"),
    "type_integer": ("số nguyên", "a whole number"),
    "type_number": ("số", "a number"),
    "type_boolean": ("có/không", "yes or no"),
    "type_object": ("một nhóm thông tin", "a group of fields"),
    "type_array": ("một danh sách", "a list"),
    "type_null": ("rỗng", "empty"),
    "this_field": ("trường này", "this field"),
    # --- the package contract: validate OK means runnable (docs/designer/contract.md) -----------
    "start_event_missing": (
        "Quy trình chính không có sự kiện bắt đầu nên không nộp được hồ sơ.",
        "The main process has no start event, so no dossier can be filed.",
    ),
    "start_form_missing": (
        "Sự kiện bắt đầu '{name}' chưa gắn tờ khai (formJsonSchemaFilename): công dân không nộp được hồ sơ "
        "trực tuyến và dữ liệu nộp lên không được kiểm tra.",
        "The start event '{name}' has no declaration form (formJsonSchemaFilename): citizens cannot file "
        "online and what is sent is not checked.",
    ),
    "start_form_on_user_task": (
        "Tờ khai {form} đang gắn ở bước người dùng '{name}', nhưng tờ khai phải là biểu mẫu của sự kiện bắt đầu "
        "'{start}': hãy chuyển formJsonSchemaFilename sang sự kiện bắt đầu và bỏ bước '{name}'.",
        "The declaration {form} is on the user task '{name}', but the declaration must be the form of the "
        "start event '{start}': move formJsonSchemaFilename to the start event and remove the step '{name}'.",
    ),
    "human_task_empty": (
        "Bước '{name}' không có biểu mẫu cũng không có hướng dẫn (instructionsForEndUser): người thực hiện "
        "không biết phải làm gì. Gắn biểu mẫu, hoặc viết hướng dẫn để bước thành bước xác nhận.",
        "The step '{name}' has neither a form nor instructions (instructionsForEndUser): whoever does it "
        "is not told what to do. Give it a form, or write instructions to make it a confirmation step.",
    ),
    "task_plain": (
        "Bước '{name}' là tác vụ không loại (bpmn:task): không ai được giao và không có gì chạy, hồ sơ sẽ chờ mãi. "
        "Đổi thành userTask/manualTask (người làm) hoặc scriptTask (tự chạy).",
        "The step '{name}' is a plain task (bpmn:task): nobody is assigned and nothing runs, so the dossier "
        "would wait forever. Make it a userTask/manualTask (a person does it) or a scriptTask (it runs).",
    ),
    "script_task_empty": (
        "Tác vụ kịch bản '{name}' không có kịch bản; hãy viết kịch bản hoặc xoá bước.",
        "The script task '{name}' has no script; write one or remove the step.",
    ),
    "decision_missing": (
        "Tác vụ quy tắc '{name}' chưa nêu bảng quyết định (calledDecisionId).",
        "The business rule task '{name}' names no decision table (calledDecisionId).",
    ),
    "decision_unknown": (
        "Tác vụ quy tắc '{name}' gọi bảng quyết định '{decision}' nhưng không tệp .dmn nào của gói có bảng này. "
        "Các bảng có: {known}.",
        "The business rule task '{name}' calls the decision '{decision}', which no .dmn file of the package "
        "has. Decisions: {known}.",
    ),
    "called_process_unknown": (
        "Bước gọi quy trình '{name}' gọi quy trình '{process}' nhưng gói không có quy trình này. Có: {known}.",
        "The call activity '{name}' calls the process '{process}', which the package does not have. "
        "It has: {known}.",
    ),
    "status_end_not_final": (
        "Hồ sơ có thể tới điểm kết thúc '{name}' khi trạng thái vẫn là {status} ({detail}), nên hồ sơ không bao "
        "giờ được đóng. Đặt statusOnEnter 3 (không tiếp nhận), 8 (dừng xử lý) hoặc 10 (đã trả kết quả) trên điểm "
        "kết thúc hoặc bước trước nó. Đường đi: {path}",
        "A dossier can reach the end '{name}' while its status is still {status} ({detail}), so it is never "
        "closed. Set statusOnEnter 3 (refused), 8 (stopped) or 10 (result returned) on the end or a step "
        "before it. Path: {path}",
    ),
    "status_received_missing": (
        "Bước '{name}' đặt trạng thái {status} nhưng trên đường tới đó hồ sơ chưa bao giờ ở trạng thái 2 "
        "(được tiếp nhận), nên thời hạn giải quyết không có ngày bắt đầu. Đặt statusOnEnter 2 trên bước "
        "tiếp nhận. Đường đi: {path}",
        "The step '{name}' sets status {status} but on the way there the dossier was never received "
        "(status 2), so its processing time has no start. Set statusOnEnter 2 on the intake step. Path: {path}",
    ),
    "status_result_ready_missing": (
        "Bước '{name}' đặt trạng thái 10 (đã trả kết quả) nhưng trên đường tới đó hồ sơ chưa bao giờ ở trạng "
        "thái 9 (đã xử lý xong), nên văn bản kết quả không được ký. Đặt 9 trên bước có kết quả. Đường đi: {path}",
        "The step '{name}' sets status 10 (result returned) but on the way there the dossier never had "
        "status 9 (result ready), so no result document is signed. Set 9 on the step that has the result. "
        "Path: {path}",
    ),
    "form_spiff_name": (
        "Tệp {name} đặt tên theo kiểu spiff-arena nên sẽ bị bỏ qua: hệ thống chỉ đọc biểu mẫu <tên>.schema.json "
        "và giao diện <tên>.uischema.json. Đổi tên thành {suggested} và sửa tên tệp trên các bước dùng nó.",
        "The file {name} is named the spiff-arena way, so it would be ignored: this product reads forms named "
        "<name>.schema.json and layouts named <name>.uischema.json. Rename it {suggested} and change the "
        "steps that name it.",
    ),
    "form_file_name": (
        "Tệp {name} trong forms/ không phải biểu mẫu (.schema.json) hay giao diện biểu mẫu (.uischema.json) nên "
        "sẽ bị bỏ qua; đổi tên hoặc xoá tệp.",
        "The file {name} under forms/ is neither a form (.schema.json) nor a form layout (.uischema.json), so "
        "it would be ignored; rename or remove it.",
    ),
    "form_property_name": (
        "{key} của bước '{name}' là '{value}', nhưng hệ thống chỉ đọc tệp tên như vậy theo quy ước "
        ".schema.json / .uischema.json; dùng '{suggested}'.",
        "The {key} of the step '{name}' is '{value}', but this product only reads files named .schema.json / "
        ".uischema.json; use '{suggested}'.",
    ),
    "form_ui_not_paired": (
        "Bước '{name}' nêu giao diện {ui} cho biểu mẫu {form}, nhưng giao diện của một biểu mẫu luôn là tệp cùng "
        "tên ({expected}), nên {ui} sẽ bị bỏ qua.",
        "The step '{name}' names the layout {ui} for the form {form}, but a form's layout is always the file "
        "with the same name ({expected}), so {ui} would be ignored.",
    ),
}


def render(code: str, lang: str = "vi", **params: Any) -> str:
    """The sentence for ``code`` in ``lang`` (Vietnamese when the language is unknown)."""
    vi, en = CATALOG[code]
    template = en if lang == "en" else vi
    return template.format(**params)
