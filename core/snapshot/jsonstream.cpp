// SPDX-License-Identifier: GPL-3.0-or-later
#include "jsonstream.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace Stateward {

namespace {

    class BuildArray final : public JsonArraySink
    {
    public:
        void append(const QJsonValue& value) override { array.append(value); }
        void appendObject(const JsonMembers& members) override { array.append(toJsonObject(members)); }
        QJsonArray array;
    };

    // QJsonObject keeps its keys sorted; a streamed object writes them in the same order.
    QList<const JsonMember*> sortedByKey(const JsonMembers& members)
    {
        QList<const JsonMember*> out;
        out.reserve(members.size());
        for (const JsonMember& m : members)
            out.append(&m);
        std::stable_sort(
            out.begin(), out.end(), [](const JsonMember* a, const JsonMember* b) { return a->key < b->key; });
        return out;
    }

} // namespace

QJsonObject toJsonObject(const JsonMembers& members)
{
    QJsonObject o;
    for (const JsonMember& m : members) {
        if (m.elements) {
            BuildArray a;
            m.elements(a);
            o.insert(m.key, a.array);
        } else {
            o.insert(m.key, m.value);
        }
    }
    return o;
}

// Writes the elements as they come, each on its own line one level deeper; "[\n]" when there are
// none, indented as QJsonDocument does.
class JsonStream::Array final : public JsonArraySink
{
public:
    Array(JsonStream& stream, int depth)
        : m_stream(stream)
        , m_depth(depth)
    {
        m_stream.m_write("[\n");
    }
    void append(const QJsonValue& value) override
    {
        next();
        m_stream.writeValue(value, m_depth + 1);
    }
    void appendObject(const JsonMembers& members) override
    {
        next();
        m_stream.writeObject(members, m_depth + 1);
    }
    void finish()
    {
        if (m_count > 0)
            m_stream.m_write("\n");
        m_stream.indent(m_depth);
        m_stream.m_write("]");
    }

private:
    void next()
    {
        if (m_count++ > 0)
            m_stream.m_write(",\n");
        m_stream.indent(m_depth + 1);
    }
    JsonStream& m_stream;
    int m_depth;
    qsizetype m_count = 0;
};

JsonStream::JsonStream(Write write)
    : m_write(std::move(write))
{ }

void JsonStream::writeDocument(const JsonMembers& members)
{
    writeObject(members, 0);
    m_write("\n");
}

void JsonStream::indent(int depth)
{
    static const QByteArray spaces(256, ' ');
    for (qsizetype n = 4 * qsizetype(depth); n > 0; n -= spaces.size())
        m_write(QByteArrayView(spaces).first(std::min(n, spaces.size())));
}

void JsonStream::writeObject(const JsonMembers& members, int depth)
{
    m_write("{\n");
    const QList<const JsonMember*> sorted = sortedByKey(members);
    for (qsizetype i = 0; i < sorted.size(); ++i) {
        const JsonMember& m = *sorted[i];
        indent(depth + 1);
        writeValue(m.key, depth + 1);
        m_write(": ");
        if (m.elements) {
            Array a(*this, depth + 1);
            m.elements(a);
            a.finish();
        } else {
            writeValue(m.value, depth + 1);
        }
        m_write(i + 1 < sorted.size() ? QByteArrayView(",\n") : QByteArrayView("\n"));
    }
    indent(depth);
    m_write("}");
}

// A value as it stands at `depth`: QJsonDocument writes it, and every line after its first moves
// `depth` levels right (JSON strings hold no raw newline, so every newline is between tokens).
void JsonStream::writeValue(const QJsonValue& value, int depth)
{
    QByteArray text;
    if (value.isObject()) {
        text = QJsonDocument(value.toObject()).toJson(QJsonDocument::Indented);
        text.chop(1); // the document's final newline
    } else if (value.isArray()) {
        text = QJsonDocument(value.toArray()).toJson(QJsonDocument::Indented);
        text.chop(1);
    } else {
        text = QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact);
        text = text.mid(1, text.size() - 2); // [value]
    }
    if (depth > 0 && text.contains('\n'))
        text.replace("\n", "\n" + QByteArray(4 * depth, ' '));
    m_write(text);
}

} // namespace Stateward
